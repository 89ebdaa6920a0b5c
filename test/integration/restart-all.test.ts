/**
 * restartPolicyRules with action RestartAllContainers (Kubernetes 1.35): a matching exit restarts the pod in place,
 * through `nspod run -d` (the shims' exit commands do it): the init containers run again, every container restarts, and
 * the pause (so the pod IP and the namespaces) and the volumes stay. Real runc or crun, on a bridge of the test's own.
 */
import test from 'ava';
import { eventually, nsInode } from '../helpers/host.js';
import { nspod, writeManifest } from '../helpers/cli.js';
import { netTestEnv } from '../helpers/network.js';
import type { PodStatus } from '../../src/pod/pod.js';
import type { PodEvent } from '../../src/pod/events.js';

interface Inspected {
  status: PodStatus;
  events: PodEvent[];
}

test.serial(
  "the docs' restart-all example shape: the watcher sidecar's exit 88 runs the init container again and restarts the app; the pause and the pod IP stay",
  async (t) => {
    const env = await netTestEnv(t, 'restartAll');
    const { root } = env;
    const name = `rall-${process.pid}`;
    const cliEnv = { NSPOD_NETWORK: 'default', NSPOD_BRIDGE: env.bridge, NSPOD_POD_SUBNET: env.podSubnet, NSPOD_IPAM_DIR: env.ipamDataDir };
    // The docs' ml-worker, made to end: the watcher exits 88 once (its first run, when the test says go), then watches on.
    const file = await writeManifest(
      root,
      `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: Never
  volumes:
  - name: data
    emptyDir: {}
  initContainers:
  - name: setup-environment
    image: busybox
    command: ["sh", "-c", "echo setup >> /data/setup"]
    volumeMounts: [{ name: data, mountPath: /data }]
  - name: watcher-sidecar
    image: busybox
    command: ["sh", "-c", "if [ ! -e /data/triggered ]; then until [ -e /data/go ]; do sleep 0.1; done; touch /data/triggered; exit 88; fi; exec sleep 3600"]
    restartPolicy: Always
    restartPolicyRules:
    - action: RestartAllContainers
      exitCodes:
        operator: In
        values: [88]
    volumeMounts: [{ name: data, mountPath: /data }]
  containers:
  - name: main-application
    image: busybox
    command: ["sh", "-c", "echo run >> /data/app; exec sleep 3600"]
    volumeMounts: [{ name: data, mountPath: /data }]
`,
      `${name}.yaml`,
    );
    t.teardown(() => nspod(root, ['rm', '-f', name], { env: cliEnv }).then(() => undefined));
    const ran = await nspod(root, ['run', '-d', file], { env: cliEnv });
    t.is(ran.exitCode, 0, ran.stderr);
    const inspect = async () => JSON.parse((await nspod(root, ['inspect', name], { env: cliEnv })).stdout) as Inspected;
    const before = await inspect();
    const ip = before.status.network.podIP;
    t.truthy(ip, 'the pod has an IP on the test bridge');
    const pausePid = before.status.pause!.pid;
    const pauseNet = await nsInode(pausePid, 'net');
    const app = (i: Inspected) => i.status.containers.find((c) => c.name === 'main-application')!;
    const firstAppPid = app(before).pid;
    const exec = async (command: string[]) =>
      (await nspod(root, ['exec', name, '-c', 'main-application', '--', ...command], { env: cliEnv })).stdout;
    await exec(['touch', '/data/go']);
    // The restart is done once the app runs again (restart 1) and has written its second line.
    const after = await eventually(
      async () => {
        const i = await inspect();
        const a = app(i);
        return a.state === 'running' && a.restartCount === 1 && a.pid !== firstAppPid ? i : undefined;
      },
      30_000,
      'the app running again after the in-place restart',
    );
    await eventually(
      async () => ((await exec(['cat', '/data/app'])) === 'run\nrun\n' ? true : undefined),
      10_000,
      'the second run of the app',
    );
    t.is(await exec(['cat', '/data/setup']), 'setup\nsetup\n', 'the init container ran twice (the volume kept the first line)');
    t.is(after.status.pause!.pid, pausePid, 'the same pause');
    t.is(await nsInode(after.status.pause!.pid, 'net'), pauseNet, 'the same network namespace');
    t.is(after.status.network.podIP, ip, 'the same pod IP');
    t.is(await nsInode(app(after).pid!, 'net'), pauseNet, 'the restarted app is in it');
    const watcher = after.status.containers.find((c) => c.name === 'watcher-sidecar')!;
    t.is(watcher.state, 'running');
    t.is(watcher.restartCount, 1);
    const setup = after.status.containers.find((c) => c.name === 'setup-environment')!;
    t.is(setup.restartCount, 1);
    const reasons = after.events.map((e) => `${e.reason} ${e.container ?? ''}`.trim());
    t.true(reasons.includes('PodRestartInPlace watcher-sidecar'), reasons.join(', '));
    const condition = after.events.find((e) => e.reason === 'PodRestartInPlace')!;
    t.is(condition.message, 'Container watcher-sidecar exited with code 88, triggering pod restart');
    // The app was killed at once (no grace, no preStop), and its exit told.
    t.true(
      after.events.some((e) => e.reason === 'Killing' && e.container === 'main-application' && /SIGKILL/.test(e.message)),
      reasons.join(', '),
    );
  },
);

test.serial(
  'an app whose rule says RestartAllContainers on 88: its exit 88 under restartPolicy Never runs the init container again and restarts it',
  async (t) => {
    const env = await netTestEnv(t, 'restartAll');
    const { root } = env;
    const name = `rall-app-${process.pid}`;
    const cliEnv = { NSPOD_NETWORK: 'none' };
    const file = await writeManifest(
      root,
      `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: Never
  volumes:
  - name: data
    emptyDir: {}
  initContainers:
  - name: setup
    image: busybox
    command: ["sh", "-c", "echo setup >> /data/setup"]
    volumeMounts: [{ name: data, mountPath: /data }]
  containers:
  - name: worker
    image: busybox
    command: ["sh", "-c", "echo run >> /data/app; if [ ! -e /data/failed ]; then touch /data/failed; exit 88; fi; exec sleep 3600"]
    restartPolicy: Never
    restartPolicyRules:
    - action: RestartAllContainers
      exitCodes:
        operator: In
        values: [88]
    volumeMounts: [{ name: data, mountPath: /data }]
`,
      `${name}.yaml`,
    );
    t.teardown(() => nspod(root, ['rm', '-f', name], { env: cliEnv }).then(() => undefined));
    const ran = await nspod(root, ['run', '-d', file], { env: cliEnv });
    t.is(ran.exitCode, 0, ran.stderr);
    const inspect = async () => JSON.parse((await nspod(root, ['inspect', name], { env: cliEnv })).stdout) as Inspected;
    const pausePid = (await inspect()).status.pause!.pid;
    const after = await eventually(
      async () => {
        const i = await inspect();
        const w = i.status.containers.find((c) => c.name === 'worker')!;
        return w.state === 'running' && w.restartCount === 1 ? i : undefined;
      },
      30_000,
      'the worker running again after its exit 88',
    );
    const exec = async (command: string[]) => (await nspod(root, ['exec', name, '--', ...command], { env: cliEnv })).stdout;
    t.is(await exec(['cat', '/data/setup']), 'setup\nsetup\n', 'the init container ran twice');
    t.is(await exec(['cat', '/data/app']), 'run\nrun\n');
    t.is(after.status.pause!.pid, pausePid, 'the same pause');
    t.true(after.events.some((e) => e.reason === 'Exited' && e.container === 'worker' && /code 88/.test(e.message)));
    t.is(
      after.events.find((e) => e.reason === 'PodRestartInPlace')?.message,
      'Container worker exited with code 88, triggering pod restart',
    );
  },
);

test.serial('an init container that fails when the pod restarts in place fails the pod: stopped, reason InitContainerFailed', async (t) => {
  const env = await netTestEnv(t, 'restartAll');
  const { root } = env;
  const name = `rall-fail-${process.pid}`;
  const cliEnv = { NSPOD_NETWORK: 'none' };
  const file = await writeManifest(
    root,
    `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: Never
  volumes:
  - name: data
    emptyDir: {}
  initContainers:
  - name: setup
    image: busybox
    command: ["sh", "-c", "if [ -e /data/setup ]; then echo once only; exit 3; fi; touch /data/setup"]
    volumeMounts: [{ name: data, mountPath: /data }]
  containers:
  - name: worker
    image: busybox
    command: ["sh", "-c", "exit 88"]
    restartPolicy: Never
    restartPolicyRules:
    - action: RestartAllContainers
      exitCodes: { operator: In, values: [88] }
    volumeMounts: [{ name: data, mountPath: /data }]
`,
    `${name}.yaml`,
  );
  t.teardown(() => nspod(root, ['rm', '-f', name], { env: cliEnv }).then(() => undefined));
  const ran = await nspod(root, ['run', '-d', file], { env: cliEnv });
  t.is(ran.exitCode, 0, ran.stderr);
  const inspect = async () => JSON.parse((await nspod(root, ['inspect', name], { env: cliEnv })).stdout) as Inspected;
  const after = await eventually(
    async () => {
      const i = await inspect();
      return i.status.phase === 'Stopped' ? i : undefined;
    },
    30_000,
    'the pod stopped',
  );
  t.is(after.status.reason, 'InitContainerFailed');
  const failed = after.events.find((e) => e.reason === 'Failed');
  t.regex(failed?.message ?? '', /init container setup exited with code 3/);
  t.regex(failed?.message ?? '', /once only/);
});
