import test from 'ava';
import { readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { isNspodError } from '../../src/errors.js';
import { readJson } from '../../src/host/files.js';
import type { ExitRecord, PodStatus } from '../../src/pod/pod.js';
import { testPod } from '../helpers/pods.js';
import { eventually } from '../helpers/host.js';
import { checkFromNetns } from '../../src/probe/prober.js';

const fast = { periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 2 };

test('readiness httpGet: waitReady resolves once the server listens (2 s late), not before; Ready goes false → true', async (t) => {
  const start = Date.now();
  const { pod } = await testPod(t, {
    network: 'none',
    containers: [
      {
        name: 'web',
        image: 'busybox',
        command: ['sh', '-c', 'sleep 4; exec httpd -f -p 127.0.0.1:8080 -h /var/www'],
        ports: [{ name: 'http', containerPort: 8080 }],
        readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 },
      },
    ],
  });
  const before = await pod.status();
  t.false(before.ready);
  t.false(before.containers[0]!.ready);
  t.true(before.containers[0]!.started, 'no startup probe: started once running');
  const seen: boolean[] = [];
  const watcher = (async () => {
    for (let i = 0; i < 100 && !seen.includes(true); i++) {
      seen.push((await pod.status()).ready);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const status = await pod.waitReady({ timeout: 15_000 });
  await watcher;
  t.true(Date.now() - start >= 2000, 'not ready before the server listens');
  t.true(status.ready);
  t.true(status.containers[0]!.ready);
  t.is(seen[0], false);
  t.is(seen.at(-1), true);
  const r = await checkFromNetns(`/proc/${pod.pausePid}/ns/net`, { kind: 'http', port: 8080, path: '/' });
  t.true(r.ok, r.output);
  t.is(r.status, 200);
  const probe = status.containers[0]!.probes!.find((p) => p.kind === 'readiness')!;
  t.is(probe.lastResult, 'success');
  t.regex(probe.lastOutput, /^HTTP\/1\.[01] 200/);
});

test('liveness exec fails once a file is gone: the prober kills the container (signal 9) and records Killing', async (t) => {
  const { pod } = await testPod(t, {
    network: 'none',
    restartPolicy: 'Never',
    containers: [
      {
        name: 'app',
        image: 'busybox',
        command: ['sh', '-c', 'touch /tmp/healthy; sleep 3600'],
        livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, ...fast },
      },
    ],
  });
  await pod.waitReady({ timeout: 10_000 });
  await eventually(async () => ((await pod.status()).containers[0]!.probes?.[0]?.lastResult === 'success' ? true : undefined), 10_000);
  t.is((await pod.exec('app', ['rm', '/tmp/healthy'])).exitCode, 0);
  const status = await eventually(async () => {
    const s = await pod.status();
    return s.containers[0]!.state === 'exited' ? s : undefined;
  }, 15_000);
  t.is(status.containers[0]!.signal, 9);
  t.is(status.containers[0]!.exitCode, 137);
  const exit = await readJson<ExitRecord>(`${pod.dir}/containers/app/exit`);
  t.is(exit?.signal, 9);
  const events = await pod.events();
  const failures = events.filter((e) => e.reason === 'ProbeFailed' && e.container === 'app');
  t.is(failures.length, 2, 'failureThreshold failures, each recorded');
  t.regex(failures[0]!.message, /^Liveness probe failed: .*No such file or directory/);
  const killing = events.find((e) => e.reason === 'Killing');
  t.truthy(killing);
  t.is(killing!.container, 'app');
  t.regex(killing!.message, /failed liveness probe 2 times/);
  const exited = events.find((e) => e.reason === 'Exited');
  t.regex(exited?.message ?? '', /killed by signal 9/);
  t.true(events.findIndex((e) => e.reason === 'Killing') < events.findIndex((e) => e.reason === 'Exited'));
  t.deepEqual(
    events
      .filter((e) => e.container === 'app')
      .slice(0, 2)
      .map((e) => e.reason),
    ['Created', 'Started'],
  );
});

test('a startup probe that never succeeds: the container is killed after failureThreshold, waitReady names the probe and its output', async (t) => {
  const { pod } = await testPod(t, {
    network: 'none',
    restartPolicy: 'Never',
    containers: [
      {
        name: 'slow',
        image: 'busybox',
        command: ['sleep', '3600'],
        startupProbe: { exec: { command: ['sh', '-c', 'echo not yet started >&2; exit 1'] }, ...fast, failureThreshold: 3 },
        readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 },
      },
    ],
  });
  const error = await t.throwsAsync(pod.waitReady({ timeout: 20_000 }));
  t.true(isNspodError(error, 'RUNTIME_FAILED'), String(error));
  t.regex(error!.message, /container slow is exited with code 137; its startup probe \(exec\) failed 3 time\(s\): not yet started/);
  const status = await pod.status();
  t.is(status.containers[0]!.signal, 9);
  t.false(status.containers[0]!.started);
  const probes = status.containers[0]!.probes!;
  t.is(probes.find((p) => p.kind === 'readiness')!.lastResult, 'none', 'readiness never ran before startup succeeded');
  const events = await pod.events();
  t.is(events.filter((e) => e.reason === 'ProbeFailed').length, 3);
  t.regex(events.find((e) => e.reason === 'Killing')!.message, /failed startup probe 3 times/);
});

test('waitReady times out naming the unready container and its probe output', async (t) => {
  const { pod } = await testPod(t, {
    network: 'none',
    containers: [
      {
        name: 'idle',
        image: 'busybox',
        command: ['sleep', '3600'],
        readinessProbe: { exec: { command: ['sh', '-c', 'echo no such thing; exit 3'] }, periodSeconds: 1 },
      },
    ],
  });
  const error = await t.throwsAsync(pod.waitReady({ timeout: 2500 }));
  t.true(isNspodError(error, 'TIMEOUT'), String(error));
  t.regex(error!.message, /container idle is running, not ready; its readiness probe \(exec\) failed \d time\(s\): no such thing/);
});

test("a tcpSocket probe on a pod with network none succeeds: it connects inside the pod's netns", async (t) => {
  const { pod } = await testPod(t, {
    network: 'none',
    containers: [
      {
        name: 'web',
        image: 'busybox',
        command: ['httpd', '-f', '-p', '127.0.0.1:8081', '-h', '/var/www'],
        readinessProbe: { tcpSocket: { port: 8081 }, periodSeconds: 1 },
      },
    ],
  });
  const status: PodStatus = await pod.waitReady({ timeout: 10_000 });
  t.true(status.ready);
  t.regex(status.containers[0]!.probes![0]!.lastOutput, /connected to 127\.0\.0\.1:8081/);
  // The host's own 127.0.0.1:8081 has nobody: the probe did not connect there.
  const host = await checkFromNetns('/proc/self/ns/net', { kind: 'tcp', port: 8081 });
  t.false(host.ok);
});

test('an exec probe that hangs is killed at timeoutSeconds, with the process it ran in the container', async (t) => {
  const { pod } = await testPod(t, {
    network: 'none',
    containers: [
      {
        name: 'app',
        image: 'busybox',
        command: ['sleep', '3600'],
        readinessProbe: { exec: { command: ['sleep', '30'] }, periodSeconds: 2, timeoutSeconds: 1 },
      },
    ],
  });
  const probe = await eventually(async () => (await pod.status()).containers[0]!.probes?.find((p) => p.failures >= 3), 15_000);
  t.is(probe.lastOutput, 'timed out after 1s');
  const ps = await pod.exec('app', ['ps', '-o', 'args']);
  const sleepers = ps.stdout.split('\n').filter((l) => l.trim() === 'sleep 30');
  t.true(sleepers.length <= 1, `at most the probe running now: ${ps.stdout}`);
});

test('stop() stops the prober first and leaves no prober process behind', async (t) => {
  const { pod } = await testPod(t, {
    network: 'none',
    containers: [
      { name: 'app', image: 'busybox', command: ['sleep', '3600'], livenessProbe: { exec: { command: ['true'] }, periodSeconds: 1 } },
    ],
  });
  const record = JSON.parse(await readFile(`${pod.dir}/pod.json`, 'utf8')) as { prober: { pid: number } };
  t.true(existsSync(`/proc/${record.prober.pid}`));
  t.true(existsSync(`${pod.dir}/probes/prober.conf`));
  await pod.stop({ gracePeriodSeconds: 0 });
  const state = await readFile(`/proc/${record.prober.pid}/stat`, 'utf8').catch(() => '');
  t.true(state === '' || / Z /.test(state), 'the prober is gone');
  await rm(`${pod.dir}/probes`, { recursive: true, force: true });
});
