import test from 'ava';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { isAlive } from '../../src/host/proc.js';
import { eventually, nsInode, stateRoot } from '../helpers/host.js';
import { nspod, nspodSpawn, writeManifest } from '../helpers/cli.js';
import { assertNoLeftovers } from '../helpers/leftovers.js';

const twoContainers = (name: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 2
  containers:
    - name: web
      image: busybox
      command: ["sh", "-c", "echo web says hello; echo web warns >&2; exec httpd -f -p 127.0.0.1:8080 -h /var/www"]
    - name: client
      image: busybox
      command: ["sleep", "3600"]
`;

test('run -d, ps, inspect, exec, logs, stop, rm: what each prints, and nothing left after', async (t) => {
  const root = await stateRoot(t, 'cli');
  const file = await writeManifest(root, twoContainers('duo'));
  const run = await nspod(root, ['run', '-d', file]);
  t.is(run.exitCode, 0, run.stderr);
  t.is(run.stdout.trim(), 'duo');

  const ps = await nspod(root, ['ps']);
  t.regex(ps.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+PAUSE PID/m);
  t.regex(ps.stdout, /^duo\s+2\/2\s+Running\s+0\s+\d+[smhd]\s+-\s+\d+/m);
  const json = JSON.parse((await nspod(root, ['ps', '-o', 'json'])).stdout);
  t.is(json[0].name, 'duo');

  const inspect = JSON.parse((await nspod(root, ['inspect', 'duo'])).stdout);
  const pausePid: number = inspect.status.pause.pid;
  t.true(isAlive(pausePid));
  t.is(inspect.status.pause.namespaces.net.inode, await nsInode(pausePid, 'net'));
  t.deepEqual(inspect.status.containers.map((c: { name: string }) => c.name).sort(), ['client', 'web']);
  t.true(existsSync(path.join(inspect.status.containers[0].bundle, 'config.json')));

  const got = await eventually(
    async () => {
      const r = await nspod(root, ['exec', 'duo', '-c', 'client', '--', 'wget', '-qO-', 'http://127.0.0.1:8080/']);
      return r.exitCode === 0 ? r : undefined;
    },
    5000,
    'web to answer',
  );
  t.is(got.stdout.trim(), 'hello from nspod');
  t.is((await nspod(root, ['exec', 'duo', '--', 'sh', '-c', 'exit 7'])).exitCode, 7, 'exec passes the exit code on');

  const logs = await nspod(root, ['logs', 'duo', 'web']);
  t.is(logs.stdout, 'web says hello\n');
  t.is(logs.stderr, 'web warns\n');
  const stamped = await nspod(root, ['logs', 'duo', 'web', '--timestamps', '--tail', '1']);
  t.regex(stamped.stdout + stamped.stderr, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z web warns\n$/);

  const refused = await nspod(root, ['rm', 'duo']);
  t.is(refused.exitCode, 1);
  t.regex(refused.stderr, /^nspod: pod duo is running \(stop it first/);

  t.is((await nspod(root, ['stop', 'duo'])).exitCode, 0);
  t.false(isAlive(pausePid));
  t.regex((await nspod(root, ['ps'])).stdout, /^duo\s+0\/2\s+Stopped/m);
  t.is((await nspod(root, ['logs', 'duo', 'web'])).stdout, 'web says hello\n', 'logs outlive the container');
  t.is((await nspod(root, ['rm', 'duo'])).exitCode, 0);
  await assertNoLeftovers(t, root);
});

test('a foreground run streams [container] output and SIGTERM tears everything down', async (t) => {
  const root = await stateRoot(t, 'cli');
  const file = await writeManifest(root, twoContainers('fg'));
  const child = nspodSpawn(root, ['run', '--rm', file]);
  t.teardown(() => child.kill('SIGKILL'));
  let seen = '';
  child.stdout?.on('data', (d: Buffer) => (seen += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (seen += d.toString()));
  await eventually(
    () => (seen.includes('[web] web says hello') && seen.includes('[web] web warns') ? true : undefined),
    10000,
    "the pod's output to stream",
  );
  child.kill('SIGTERM');
  const r = await child;
  t.is(r.exitCode, 143, `${r.signal} ${r.stderr}`);
  t.regex(String(r.stdout), /^\[web\] web says hello$/m);
  t.regex(String(r.stderr), /^\[web\] web warns$/m);
  await assertNoLeftovers(t, root);
});

test('restartPolicy OnFailure: a container that fails twice then succeeds is restarted twice', async (t) => {
  const root = await stateRoot(t, 'cli');
  const file = await writeManifest(
    root,
    `apiVersion: v1
kind: Pod
metadata:
  name: flaky
spec:
  restartPolicy: OnFailure
  volumes: [{ name: state, emptyDir: {} }]
  containers:
    - name: app
      image: busybox
      command: ["sh", "-c", "n=$(cat /state/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /state/n; echo attempt $n; [ $n -ge 3 ]"]
      volumeMounts: [{ name: state, mountPath: /state }]
`,
    'flaky.yaml',
  );
  t.is((await nspod(root, ['run', '-d', file])).exitCode, 0);
  const line = await eventually(
    async () => {
      const ps = (await nspod(root, ['ps'])).stdout;
      return /Completed/.test(ps) ? ps : undefined;
    },
    20000,
    'the third attempt to succeed',
  );
  t.regex(line, /^flaky\s+0\/1\s+Completed\s+2\s/m);
  t.regex(line, /app=0/);
  t.is((await nspod(root, ['logs', 'flaky'])).stdout, 'attempt 1\nattempt 2\nattempt 3\n');
  t.is((await nspod(root, ['rm', '-f', 'flaky'])).exitCode, 0);
  await assertNoLeftovers(t, root);
});

test('init containers run first and in order; an emptyDir written by one container is read by another', async (t) => {
  const root = await stateRoot(t, 'cli');
  const file = await writeManifest(
    root,
    `apiVersion: v1
kind: Pod
metadata:
  name: init
spec:
  restartPolicy: Never
  volumes: [{ name: shared, emptyDir: {} }]
  initContainers:
    - name: first
      image: busybox
      command: ["sh", "-c", "echo first >> /shared/order"]
      volumeMounts: [{ name: shared, mountPath: /shared }]
    - name: second
      image: busybox
      command: ["sh", "-c", "echo second >> /shared/order"]
      volumeMounts: [{ name: shared, mountPath: /shared }]
  containers:
    - name: writer
      image: busybox
      command: ["sh", "-c", "echo from-writer > /shared/note; sleep 3600"]
      volumeMounts: [{ name: shared, mountPath: /shared }]
    - name: reader
      image: busybox
      command: ["sleep", "3600"]
      volumeMounts: [{ name: shared, mountPath: /data, readOnly: true }]
`,
    'init.yaml',
  );
  const run = await nspod(root, ['run', '-d', file]);
  t.is(run.exitCode, 0, run.stderr);
  t.is((await nspod(root, ['exec', 'init', '-c', 'reader', '--', 'cat', '/data/order'])).stdout, 'first\nsecond\n');
  const note = await eventually(
    async () => {
      const r = await nspod(root, ['exec', 'init', '-c', 'reader', '--', 'cat', '/data/note']);
      return r.exitCode === 0 ? r.stdout : undefined;
    },
    5000,
    'the writer',
  );
  t.is(note, 'from-writer\n');
  const ro = await nspod(root, ['exec', 'init', '-c', 'reader', '--', 'touch', '/data/x']);
  t.not(ro.exitCode, 0, 'a readOnly mount is read-only');
  t.is((await nspod(root, ['rm', '-f', 'init'])).exitCode, 0);
  await assertNoLeftovers(t, root);
});

test('a failing init container fails the run naming it, and leaves nothing', async (t) => {
  const root = await stateRoot(t, 'cli');
  const file = await writeManifest(
    root,
    `apiVersion: v1
kind: Pod
metadata: { name: badinit }
spec:
  initContainers:
    - { name: setup, image: busybox, command: ["sh", "-c", "echo cannot set up >&2; exit 3"] }
  containers:
    - { name: app, image: busybox, command: ["sleep", "3600"] }
`,
    'badinit.yaml',
  );
  const r = await nspod(root, ['run', '-d', file]);
  t.is(r.exitCode, 1);
  t.regex(r.stderr, /^nspod: pod badinit: init container setup exited with code 3; its last log lines \(up to 20\): cannot set up$/m);
  await assertNoLeftovers(t, root);
});

test("debug runs a host program in the pod's network namespace, entered through the pause", async (t) => {
  const root = await stateRoot(t, 'cli');
  const file = await writeManifest(root, twoContainers('dbg'));
  t.is((await nspod(root, ['run', '-d', file])).exitCode, 0);
  t.teardown(() => nspod(root, ['rm', '-f', 'dbg']).then(() => undefined));
  const inspect = JSON.parse((await nspod(root, ['inspect', 'dbg'])).stdout);
  const r = await nspod(root, ['debug', 'dbg', '--', 'sh', '-c', 'readlink /proc/self/ns/net; ip -o link']);
  t.is(r.exitCode, 0, r.stderr);
  const [link, ...links] = r.stdout.trim().split('\n');
  t.is(link, `net:[${inspect.status.pause.namespaces.net.inode}]`);
  t.not(link, `net:[${await nsInode('self', 'net')}]`);
  t.deepEqual(
    links.map((l) => l.split(': ')[1]),
    ['lo'],
    'network none: only loopback',
  );
});

test('--dry-run prints each config.json and the runtime commands, and creates nothing', async (t) => {
  const root = await stateRoot(t, 'cli');
  const file = await writeManifest(root, twoContainers('dry'));
  const r = await nspod(root, ['run', '--dry-run', file]);
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, /# .*\/pods\/dry\/pause\/config\.json \(pause\)/);
  t.regex(r.stdout, /"path": "\/proc\/<pause-pid>\/ns\/net"/);
  t.regex(r.stdout, / run -d --pid-file \S+ --bundle \S+\/pods\/dry\/pause dry$/m);
  t.regex(r.stdout, / run -d --pid-file \S+ --bundle \S+\/containers\/web\/bundle dry\.web$/m);
  t.false(existsSync(path.join(root, 'pods')));
  await assertNoLeftovers(t, root);
});

test('doctor passes here, and names a runtime that is not installed', async (t) => {
  const root = await stateRoot(t, 'cli');
  const ok = await nspod(root, ['doctor']);
  t.is(ok.exitCode, 0, ok.stdout);
  t.regex(ok.stdout, /^ok {4}runtime: /m);
  // Overlay is checked by a test mount: a module the first mount loads is absent from /proc/filesystems.
  t.regex(ok.stdout, /^ok {4}overlayfs: a test overlay mount works$/m);
  t.regex(ok.stdout, /nspod can run pods on this host/);
  const missing = await nspod(root, ['--runtime', 'no-such-runtime', 'doctor']);
  t.is(missing.exitCode, 1);
  t.regex(missing.stdout, /^FAIL {2}runtime: container runtime "no-such-runtime" not found \(install it/m);
});

test('usage errors exit 2, failures exit 1 with one line', async (t) => {
  const root = await stateRoot(t, 'cli');
  const unknown = await nspod(root, ['frobnicate']);
  t.is(unknown.exitCode, 2);
  t.regex(unknown.stderr, /^nspod: unknown command 'frobnicate'/);
  t.is((await nspod(root, ['run'])).exitCode, 2);
  t.is((await nspod(root, ['logs', 'x', '--tail', 'many'])).exitCode, 1, 'pod x does not exist: checked first');
  const bad = await nspod(root, ['run', '-p', 'eighty:80', '/dev/null']);
  t.is(bad.exitCode, 2);
  const gone = await nspod(root, ['inspect', 'nope']);
  t.is(gone.exitCode, 1);
  t.is(gone.stderr, `nspod: no pod named "nope" in ${root} (nspod ps lists the pods)\n`);
  const help = await nspod(root, ['run', '--help']);
  t.is(help.exitCode, 0);
  t.regex(help.stdout, /--dry-run/);
});

test('run -d --rm: the supervisor removes the pod once its apps have exited for good', async (t) => {
  const root = await stateRoot(t, 'cli');
  const file = await writeManifest(
    root,
    `apiVersion: v1
kind: Pod
metadata: { name: oneshot }
spec:
  restartPolicy: Never
  containers:
    - { name: a, image: busybox, command: ["sh", "-c", "while [ ! -f /tmp/go ]; do sleep 0.1; done; echo done"] }
    - { name: b, image: busybox, command: ["sh", "-c", "exit 3"] }
`,
    'job.yaml',
  );
  const run = await nspod(root, ['run', '-d', '--rm', file]);
  t.is(run.exitCode, 0, run.stderr);
  // b has exited for good, a waits for the test: the pod stays until a is done too.
  await eventually(async () => ((await nspod(root, ['ps'])).stdout.match(/^oneshot\s.*b=3/m) ? true : undefined), 20_000, 'b to exit');
  t.regex((await nspod(root, ['ps'])).stdout, /^oneshot\s/m, 'still listed while a runs');
  t.is((await nspod(root, ['exec', 'oneshot', '-c', 'a', '--', 'touch', '/tmp/go'])).exitCode, 0);
  await eventually(
    async () => ((await nspod(root, ['ps'])).stdout.includes('oneshot') ? undefined : true),
    20_000,
    'the pod to be removed',
  );
  await assertNoLeftovers(t, root);
});
