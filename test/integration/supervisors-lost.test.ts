import test from 'ava';
import path from 'node:path';
import { readJson } from '../../src/host/files.js';
import { isAlive, isProcessAlive } from '../../src/host/proc.js';
import type { PodRecord } from '../../src/pod/store.js';
import { eventually, stateRoot } from '../helpers/host.js';
import { gcOutputOf, nspod, runDetached } from '../helpers/cli.js';

async function podRecord(root: string, name: string): Promise<PodRecord> {
  return (await readJson<PodRecord>(path.join(root, 'pods', name, 'pod.json')))!;
}

test('kill -9 of the prober: READY goes false, wait --for=ready fails, ProberLost is told once; gc starts it again and READY returns', async (t) => {
  const root = await stateRoot(t, 'prober-lost');
  await runDetached(
    t,
    root,
    'probed',
    `apiVersion: v1
kind: Pod
metadata: { name: probed }
spec:
  containers:
    - name: app
      image: busybox
      command: ["sleep", "3600"]
      readinessProbe:
        exec: { command: ["true"] }
        periodSeconds: 1
`,
  );
  await eventually(async () => (/^probed\s+1\/1\s/m.test((await nspod(root, ['ps'])).stdout) ? true : undefined), 30_000, 'READY 1/1');
  const prober = (await podRecord(root, 'probed')).prober!;
  t.true(isProcessAlive(prober));
  process.kill(prober.pid, 'SIGKILL');
  await eventually(() => (isProcessAlive(prober) ? undefined : true), 10_000, 'the prober to die');

  // Its last results said ready: with nobody probing, they say nothing.
  t.regex((await nspod(root, ['ps'])).stdout, /^probed\s+0\/1\s+Running/m);
  const status = JSON.parse((await nspod(root, ['inspect', 'probed'])).stdout).status;
  t.false(status.ready);
  t.deepEqual(status.prober, { pid: prober.pid, alive: false });
  t.is(status.containers[0].probes[0].lastResult, 'unknown');
  const waited = await nspod(root, ['wait', 'probed', '--for=ready', '--timeout=2s']);
  t.not(waited.exitCode, 0);
  t.regex(waited.stderr, /prober is gone \(nspod gc starts it again\)/);
  const events = (await nspod(root, ['events', 'probed', '-o', 'json'])).stdout;
  await nspod(root, ['events', 'probed']);
  const lost = JSON.parse((await nspod(root, ['events', 'probed', '-o', 'json'])).stdout).filter(
    (e: { reason: string }) => e.reason === 'ProberLost',
  );
  t.is(lost.length, 1, events);
  t.regex(lost[0].message, new RegExp(`prober \\(pid ${prober.pid}\\) is gone`));

  const gc = await nspod(root, ['gc']);
  t.is(gc.exitCode, 0, gc.stderr);
  t.regex(gc.stdout, /^started a new prober, pid \d+ of pod probed \(prober-lost\)$/m);
  const again = (await podRecord(root, 'probed')).prober!;
  t.not(again.pid, prober.pid);
  t.true(isProcessAlive(again));
  await eventually(
    async () => (/^probed\s+1\/1\s/m.test((await nspod(root, ['ps'])).stdout) ? true : undefined),
    30_000,
    'READY 1/1 again',
  );
  t.is((await nspod(root, ['wait', 'probed', '--for=ready', '--timeout=30s'])).exitCode, 0);
  // A second gc finds the prober alive: nothing to do.
  t.is(gcOutputOf((await nspod(root, ['gc'])).stdout, ['probed']), 'nothing to collect\n');
});

test('a lost prober acts again once gc has started it: a failing liveness probe then restarts the container', async (t) => {
  const root = await stateRoot(t, 'prober-lost');
  await runDetached(
    t,
    root,
    'alive',
    `apiVersion: v1
kind: Pod
metadata: { name: alive }
spec:
  containers:
    - name: app
      image: busybox
      command: ["sh", "-c", "touch /tmp/healthy; exec sleep 3600"]
      livenessProbe:
        exec: { command: ["cat", "/tmp/healthy"] }
        periodSeconds: 1
        failureThreshold: 2
`,
  );
  const prober = await eventually(async () => (await podRecord(root, 'alive')).prober, 10_000, 'a prober');
  process.kill(prober.pid, 'SIGKILL');
  await eventually(() => (isProcessAlive(prober) ? undefined : true), 10_000, 'the prober to die');
  t.is((await nspod(root, ['exec', 'alive', '--', 'rm', '/tmp/healthy'])).exitCode, 0);
  t.regex((await nspod(root, ['gc'])).stdout, /started a new prober/);
  const ps = await eventually(
    async () => {
      const out = (await nspod(root, ['ps'])).stdout;
      return /^alive\s+\d\/1\s+\S+\s+[1-9]/m.test(out) ? out : undefined;
    },
    30_000,
    'a restart by the liveness probe',
  );
  t.regex(ps, /^alive\s+\d\/1\s+\S+\s+[1-9]\d*\s/m);
});

test("kill -9 of a container's shim: status says unknown (ShimLost), the container's later exit is recorded by gc with an event, and restartPolicy Always restarts it", async (t) => {
  const root = await stateRoot(t, 'shim-lost');
  await runDetached(
    t,
    root,
    'shimless',
    `apiVersion: v1
kind: Pod
metadata: { name: shimless }
spec:
  restartPolicy: Always
  containers:
    - name: app
      image: busybox
      command: ["sleep", "3600"]
`,
  );
  const before = (await podRecord(root, 'shimless')).containers[0]!;
  t.truthy(before.shim, 'the shim is recorded');
  process.kill(before.shim!.pid, 'SIGKILL');
  await eventually(() => (isProcessAlive(before.shim!) ? undefined : true), 10_000, 'the shim to die');
  const lost = JSON.parse((await nspod(root, ['inspect', 'shimless'])).stdout).status.containers[0];
  t.is(lost.state, 'unknown');
  t.is(lost.reason, 'ShimLost');
  // The container's own exit, which no shim sees.
  process.kill(before.pid!, 'SIGKILL');
  await eventually(() => (isAlive(before.pid!) ? undefined : true), 10_000, 'the container to die');
  const gc = await nspod(root, ['gc']);
  t.is(gc.exitCode, 0, gc.stderr);
  t.regex(gc.stdout, /^recorded the exit of container app of pod shimless \(shim-lost\)$/m);
  const after = await eventually(
    async () => {
      const c = (await podRecord(root, 'shimless')).containers[0]!;
      return c.restartCount === 1 && c.shim && isProcessAlive(c.shim) ? c : undefined;
    },
    30_000,
    'a restart under a new shim',
  );
  t.not(after.pid, before.pid);
  const events = JSON.parse((await nspod(root, ['events', 'shimless', '-o', 'json'])).stdout) as { reason: string; message: string }[];
  const reasons = events.map((e) => e.reason);
  t.true(reasons.includes('ShimLost'), reasons.join(' '));
  t.true(reasons.includes('Exited'), reasons.join(' '));
  t.true(reasons.includes('Restarted'), reasons.join(' '));
  t.regex(events.find((e) => e.reason === 'ShimLost')!.message, /has exited, code unknown; recorded with exit code 137/);
  t.regex((await nspod(root, ['ps'])).stdout, /^shimless\s+1\/1\s+Running\s+1\s/m);
});
