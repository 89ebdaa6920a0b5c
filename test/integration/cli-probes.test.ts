import test from 'ava';
import { eventually, stateRoot } from '../helpers/host.js';
import { nspod, writeManifest } from '../helpers/cli.js';

test('run -d --wait returns once the readiness probe passes, not before; READY goes 0/1 to 1/1', async (t) => {
  const root = await stateRoot(t, 'cli-probe');
  const file = await writeManifest(
    root,
    `apiVersion: v1
kind: Pod
metadata: { name: late }
spec:
  containers:
    - name: web
      image: busybox
      command: ["sh", "-c", "sleep 4; exec httpd -f -p 127.0.0.1:8080 -h /var/www"]
      readinessProbe:
        httpGet: { path: /, port: 8080 }
        periodSeconds: 1
`,
  );
  t.teardown(() => nspod(root, ['rm', '-f', 'late']).then(() => undefined));
  const started = Date.now();
  const waiting = nspod(root, ['run', '-d', '--wait=30s', file]);
  const early = await eventually(
    async () => {
      const ps = (await nspod(root, ['ps'])).stdout;
      return /^late\s+0\/1\s+Running/m.test(ps) ? ps : undefined;
    },
    10000,
    'the pod to be listed not ready',
  );
  t.regex(early, /0\/1/);
  const r = await waiting;
  t.is(r.exitCode, 0, r.stderr);
  t.is(r.stdout, 'late\n');
  t.true(Date.now() - started >= 4000, 'not before the server listens');
  const got = await nspod(root, ['exec', 'late', '--', 'wget', '-qO-', 'http://127.0.0.1:8080/']);
  t.is(got.stdout, 'hello from nspod\n', 'a request right after the return is answered');
  t.regex((await nspod(root, ['ps'])).stdout, /^late\s+1\/1\s+Running/m);
});

test('a liveness probe that starts failing: the container is restarted, RESTARTS grows, the events say why', async (t) => {
  const root = await stateRoot(t, 'cli-probe');
  const file = await writeManifest(
    root,
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
  t.teardown(() => nspod(root, ['rm', '-f', 'alive']).then(() => undefined));
  t.is((await nspod(root, ['run', '-d', '--wait=30s', file])).exitCode, 0);
  t.is((await nspod(root, ['exec', 'alive', '--', 'rm', '/tmp/healthy'])).exitCode, 0);
  const ps = await eventually(
    async () => {
      const out = (await nspod(root, ['ps'])).stdout;
      return /^alive\s+\d\/1\s+\S+\s+[1-9]/m.test(out) ? out : undefined;
    },
    30000,
    'a restart',
  );
  t.regex(ps, /^alive\s+\d\/1\s+\S+\s+[1-9]\d*\s/m);
  const events = (await nspod(root, ['events', 'alive'])).stdout;
  t.regex(events, /ProbeFailed\s+container\/app\s+Liveness probe failed/);
  t.regex(events, /Killing\s+container\/app/);
  t.regex(events, /Restarted\s+container\/app/);
  const json = JSON.parse((await nspod(root, ['inspect', 'alive'])).stdout);
  t.true(json.events.some((e: { reason: string }) => e.reason === 'Killing'));
});

test('a startup probe that never succeeds: killed after its failureThreshold, and --wait fails naming the probe and its output', async (t) => {
  const root = await stateRoot(t, 'cli-probe');
  const file = await writeManifest(
    root,
    `apiVersion: v1
kind: Pod
metadata: { name: never }
spec:
  restartPolicy: Never
  containers:
    - name: app
      image: busybox
      command: ["sleep", "3600"]
      startupProbe:
        exec: { command: ["sh", "-c", "echo not yet warmed up; exit 1"] }
        periodSeconds: 1
        failureThreshold: 2
`,
  );
  t.teardown(() => nspod(root, ['rm', '-f', 'never']).then(() => undefined));
  const r = await nspod(root, ['run', '-d', '--wait=30s', file]);
  t.is(r.exitCode, 1);
  t.regex(r.stderr, /^nspod: pod never did not become ready: .*startup probe.*not yet warmed up/m);
  const status = JSON.parse((await nspod(root, ['inspect', 'never'])).stdout).status;
  t.is(status.containers[0].state, 'exited');
  t.is(status.containers[0].exitCode, 137);
  t.regex((await nspod(root, ['events', 'never'])).stdout, /Killing\s+container\/app/);
});

test("wait --for=exit returns the apps' exit code; wait --for=delete returns once the pod is gone", async (t) => {
  const root = await stateRoot(t, 'cli-probe');
  const file = await writeManifest(
    root,
    `apiVersion: v1
kind: Pod
metadata: { name: job }
spec:
  restartPolicy: Never
  containers:
    - { name: work, image: busybox, command: ["sh", "-c", "sleep 1; exit 4"] }
`,
  );
  t.is((await nspod(root, ['run', '-d', file])).exitCode, 0);
  const exited = await nspod(root, ['wait', 'job', '--for=exit', '--timeout=30s']);
  t.is(exited.exitCode, 4);
  t.is(exited.stdout, 'job exited: work=4\n');
  const gone = nspod(root, ['wait', 'job', '--for=delete', '--timeout=30s']);
  t.is((await nspod(root, ['rm', 'job'])).exitCode, 1, 'not stopped yet');
  t.is((await nspod(root, ['rm', '-f', 'job'])).exitCode, 0);
  t.is((await gone).exitCode, 0);
  const late = await nspod(root, ['wait', 'job', '--timeout', 'soon']);
  t.is(late.exitCode, 2);
});
