/**
 * Native sidecars (init containers with restartPolicy Always) and container restart rules, through `nspod run -d`
 * (detached: no Node process stays; the shims' exit commands do the work), with real runc or crun.
 */
import test from 'ava';
import { eventually, stateRoot } from '../helpers/host.js';
import { nspod, runDetached } from '../helpers/cli.js';
import { assertNoLeftovers } from '../helpers/leftovers.js';
import type { PodStatus } from '../../src/pod/pod.js';
import type { PodEvent } from '../../src/pod/events.js';

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

interface Inspected {
  status: PodStatus;
  summary: { ready: string; status: string };
  events: PodEvent[];
}

async function inspect(root: string, name: string): Promise<Inspected> {
  const r = await nspod(root, ['inspect', name]);
  if (r.exitCode !== 0) throw new Error(`inspect ${name}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Inspected;
}

const container = (i: Inspected, name: string) => i.status.containers.find((c) => c.name === name)!;
const exitedAt = (i: Inspected, name: string) => Date.parse(i.events.find((e) => e.reason === 'Exited' && e.container === name)!.time);

/** Runs a manifest detached; the pod is removed when the test ends, pass or fail. */
/** A shell loop that exits 0 on TERM (a container's PID 1 ignores TERM without a handler). */
const TERM_EXITS = `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]`;

test('a sidecar whose startup probe succeeds after 2 s: the app starts after it has started, and READY counts both', async (t) => {
  const root = await stateRoot(t, 'sidecar');
  const name = unique('sc-startup');
  await runDetached(
    t,
    root,
    name,
    `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  initContainers:
    - name: proxy
      image: busybox
      restartPolicy: Always
      command: ["sh", "-c", "sleep 2; touch /tmp/up; exec sleep 3600"]
      startupProbe:
        exec:
          command: ["cat", "/tmp/up"]
        periodSeconds: 1
        failureThreshold: 30
  containers:
    - name: app
      image: busybox
      command: ["sleep", "3600"]
`,
  );
  const i = await inspect(root, name);
  const proxy = container(i, 'proxy');
  const app = container(i, 'app');
  t.true(proxy.sidecar, 'shown as a sidecar');
  t.false(proxy.init);
  t.false(app.sidecar);
  t.true(proxy.started);
  t.is(proxy.state, 'running');
  t.true(Date.parse(app.startedAt!) - Date.parse(proxy.startedAt!) >= 2000, `app ${app.startedAt}, sidecar ${proxy.startedAt}`);
  const sidecarStarted = i.events.find((e) => e.reason === 'SidecarStarted' && e.container === 'proxy');
  const appCreated = i.events.find((e) => e.reason === 'Created' && e.container === 'app');
  t.truthy(sidecarStarted);
  t.true(Date.parse(sidecarStarted!.time) <= Date.parse(appCreated!.time), 'the app is made once the sidecar has started');
  t.regex((await nspod(root, ['ps'])).stdout, new RegExp(`^${name}\\s+2/2\\s+Running`, 'm'));
});

test('a sidecar that exits before its startup probe succeeded is started again (restartPolicy Always); the app waits for its second run', async (t) => {
  const root = await stateRoot(t, 'sidecar');
  const name = unique('sc-early');
  await runDetached(
    t,
    root,
    name,
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
    - name: proxy
      image: busybox
      restartPolicy: Always
      command: ["sh", "-c", "if [ ! -e /data/crashed ]; then touch /data/crashed; exit 3; fi; touch /tmp/up; exec sleep 3600"]
      volumeMounts: [{ name: data, mountPath: /data }]
      startupProbe:
        exec:
          command: ["cat", "/tmp/up"]
        periodSeconds: 1
        failureThreshold: 30
  containers:
    - name: app
      image: busybox
      command: ["sleep", "3600"]
`,
  );
  const i = await inspect(root, name);
  const proxy = container(i, 'proxy');
  t.is(proxy.state, 'running');
  t.true(proxy.started);
  t.is(proxy.restartCount, 1, 'started again once');
  t.is(container(i, 'app').state, 'running');
  const events = i.events.map((e) => `${e.reason} ${e.container ?? ''}`.trim());
  const at = (what: string) => events.indexOf(what);
  t.true(at('Exited proxy') >= 0, events.join(', '));
  t.true(at('BackOff proxy') > at('Exited proxy'), events.join(', '));
  t.true(at('Restarted proxy') > at('BackOff proxy'), events.join(', '));
  t.true(at('SidecarStarted proxy') > at('Restarted proxy'), events.join(', '));
  t.true(at('Created app') > at('SidecarStarted proxy'), 'the app is made once the second run has started');
});

test('a sidecar killed with -9 restarts (pod restartPolicy Never) while the app keeps running', async (t) => {
  const root = await stateRoot(t, 'sidecar');
  const name = unique('sc-kill');
  await runDetached(
    t,
    root,
    name,
    `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: Never
  initContainers:
    - name: proxy
      image: busybox
      restartPolicy: Always
      command: ["sleep", "3600"]
  containers:
    - name: app
      image: busybox
      command: ["sleep", "3600"]
`,
  );
  const before = await inspect(root, name);
  const appPid = container(before, 'app').pid!;
  process.kill(container(before, 'proxy').pid!, 'SIGKILL');
  const after = await eventually(
    async () => {
      const i = await inspect(root, name);
      const proxy = container(i, 'proxy');
      return proxy.restartCount >= 1 && proxy.state === 'running' ? i : undefined;
    },
    20000,
    'the sidecar to run again',
  );
  const app = container(after, 'app');
  t.is(app.state, 'running');
  t.is(app.pid, appPid, 'the app was not touched');
  t.is(app.restartCount, 0);
  t.true(after.events.some((e) => e.reason === 'Restarted' && e.container === 'proxy'));
});

test('restartPolicy Never: the pod completes when the app exits, and the sidecar is then stopped, not restarted', async (t) => {
  const root = await stateRoot(t, 'sidecar');
  const name = unique('sc-done');
  await runDetached(
    t,
    root,
    name,
    `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: Never
  initContainers:
    - name: logshipper
      image: busybox
      restartPolicy: Always
      command: ${TERM_EXITS}
  containers:
    - name: job
      image: busybox
      command: ["sh", "-c", "sleep 1; echo done"]
`,
  );
  const waited = await nspod(root, ['wait', name, '--for=exit', '--timeout=30s']);
  t.is(waited.exitCode, 0, waited.stderr);
  const i = await eventually(
    async () => {
      const i = await inspect(root, name);
      return container(i, 'logshipper').state === 'exited' && i.events.some((e) => e.reason === 'Exited' && e.container === 'logshipper')
        ? i
        : undefined;
    },
    20000,
    'the sidecar to be stopped',
  );
  t.is(i.summary.status, 'Completed');
  t.is(container(i, 'logshipper').exitCode, 0, 'it got TERM');
  t.is(container(i, 'logshipper').restartCount, 0);
  t.true(exitedAt(i, 'job') < exitedAt(i, 'logshipper'), 'the app first');
  t.true(i.events.some((e) => e.reason === 'Completed'));
  // Its exit was seen by the supervisor (the Exited event above), which left it down.
  t.is(container(await inspect(root, name), 'logshipper').state, 'exited');
  t.is((await nspod(root, ['logs', '-f', name, 'logshipper'])).exitCode, 0, 'logs -f of a sidecar ends once the pod is done');
});

test('nspod stop: the app first, then the sidecars, the last started first (from the events)', async (t) => {
  const root = await stateRoot(t, 'sidecar');
  const name = unique('sc-order');
  await runDetached(
    t,
    root,
    name,
    `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 10
  initContainers:
    - name: first
      image: busybox
      restartPolicy: Always
      command: ${TERM_EXITS}
    - name: setup
      image: busybox
      command: ["true"]
    - name: second
      image: busybox
      restartPolicy: Always
      command: ${TERM_EXITS}
  containers:
    - name: app
      image: busybox
      command: ${TERM_EXITS}
`,
  );
  const running = await inspect(root, name);
  t.is(running.summary.ready, '3/3');
  const pids = running.status.containers.filter((c) => c.pid !== undefined).map((c) => c.pid!);
  const stop = await nspod(root, ['stop', name]);
  t.is(stop.exitCode, 0, stop.stderr);
  const i = await inspect(root, name);
  t.true(exitedAt(i, 'app') < exitedAt(i, 'second'), 'app before the last sidecar');
  t.true(exitedAt(i, 'second') < exitedAt(i, 'first'), 'the last started sidecar before the first');
  for (const c of ['app', 'first', 'second']) t.is(container(i, c).exitCode, 0, `${c} stopped by TERM`);
  t.is((await nspod(root, ['rm', name])).exitCode, 0);
  await assertNoLeftovers(t, root, { pod: name, pids });
});

test("the docs' localhost example: a busybox sidecar client reaches the web container over localhost", async (t) => {
  const root = await stateRoot(t, 'sidecar');
  const name = unique('localhost-example');
  // As content/en/examples/pods/multi-container/localhost.yaml writes it, with busybox httpd in place of nginx (no registry here).
  await runDetached(
    t,
    root,
    name,
    `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  initContainers:
  - name: client
    image: busybox
    restartPolicy: Always
    command: ["sh", "-c", 'while true; do wget -qO- http://localhost:80 | head -n 4; sleep 5; done']
  containers:
  - name: web
    image: busybox
    command: ["httpd", "-f", "-p", "80", "-h", "/var/www"]
    ports:
    - containerPort: 80
`,
  );
  const logs = await eventually(
    async () => {
      const out = (await nspod(root, ['logs', name, 'client'])).stdout;
      return out.includes('hello from nspod') ? out : undefined;
    },
    20000,
    'the client to fetch the page',
  );
  t.regex(logs, /hello from nspod/);
  t.regex((await nspod(root, ['ps'])).stdout, new RegExp(`^${name}\\s+2/2\\s+Running`, 'm'));
});

test('restartPolicyRules: exit 42 restarts under restartPolicy Never (rule In [42]); the next run exits 1 and stays down', async (t) => {
  const root = await stateRoot(t, 'sidecar');
  const name = unique('rules');
  await runDetached(
    t,
    root,
    name,
    `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: Never
  volumes:
  - name: data
    emptyDir: {}
  containers:
  - name: worker
    image: busybox
    command: ["sh", "-c", "if [ -e /data/ran ]; then exit 1; fi; touch /data/ran; exit 42"]
    restartPolicy: Never
    restartPolicyRules:
    - action: Restart
      exitCodes:
        operator: In
        values: [42]
    volumeMounts:
    - name: data
      mountPath: /data
`,
  );
  const waited = await nspod(root, ['wait', name, '--for=exit', '--timeout=30s']);
  t.is(waited.exitCode, 1, waited.stderr);
  const i = await inspect(root, name);
  const worker = container(i, 'worker');
  t.is(worker.restartCount, 1, 'restarted once, after the 42');
  t.is(worker.exitCode, 1);
  t.is(i.summary.status, 'Error');
  t.deepEqual(
    i.events.filter((e) => e.reason === 'Exited').map((e) => e.message),
    ['container worker exited with code 42', 'container worker exited with code 1'],
  );
});
