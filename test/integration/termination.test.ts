/**
 * Termination messages of detached pods (`nspod run -d`): the Kubernetes docs' termination-demo as the page writes it
 * (tasks/debug/debug-application/determine-reason-pod-failure; its debian image a toolbox stand-in imported under that
 * name), FallbackToLogsOnError, the 4096-byte cut, a read-only root filesystem, and a fresh file for each run.
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { importImage } from '../../src/image/manage.js';
import { Pod } from '../../src/pod/pod.js';
import type { ContainerStatus } from '../../src/pod/status.js';
import { nspod, runDetached } from '../helpers/cli.js';
import { eventually, RUNTIME, stateRoot } from '../helpers/host.js';
import { toolboxImageArchive } from '../helpers/images.js';
import { assertNoLeftovers } from '../helpers/leftovers.js';

let work: string | undefined;
let imageRoot = '';

test.before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'nspod-termination-images-'));
  imageRoot = path.join(work, 'images');
  await importImage('debian', await toolboxImageArchive(work, 'debian', { cmd: ['/bin/sh'] }), { imageRoot });
});

test.after.always(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** The container's status once `done` says so (polled through the library; the CLI is what is asserted on). */
async function statusWhen(root: string, pod: string, container: string, done: (c: ContainerStatus) => boolean): Promise<ContainerStatus> {
  const p = await Pod.load(pod, { root, runtime: RUNTIME });
  return await eventually(
    async () => {
      const c = (await p.status()).containers.find((s) => s.name === container);
      return c && done(c) ? c : undefined;
    },
    60_000,
    `container ${container} of ${pod}`,
  );
}

/** `nspod inspect`'s status of one container and the pod's Exited events of it. */
async function inspected(root: string, pod: string, container: string): Promise<{ status: ContainerStatus; exited: string[] }> {
  const r = await nspod(root, ['--image-root', imageRoot, 'inspect', pod]);
  const json = JSON.parse(r.stdout) as {
    status: { containers: ContainerStatus[] };
    events: { reason: string; container?: string; message: string }[];
  };
  return {
    status: json.status.containers.find((c) => c.name === container)!,
    exited: json.events.filter((e) => e.reason === 'Exited' && e.container === container).map((e) => e.message),
  };
}

async function removed(t: ExecutionContext, root: string, pod: string): Promise<void> {
  t.is((await nspod(root, ['--image-root', imageRoot, 'rm', '-f', pod])).exitCode, 0);
  await assertNoLeftovers(t, root, { pod });
}

test("the docs' termination-demo, unedited: its message is 'Sleep expired' in status, inspect and the Exited event", async (t) => {
  const root = await stateRoot(t, 'term');
  await runDetached(
    t,
    root,
    'termination-demo',
    `apiVersion: v1
kind: Pod
metadata:
  name: termination-demo
spec:
  containers:
  - name: termination-demo-container
    image: debian
    command: ["/bin/sh"]
    args: ["-c", "sleep 10 && echo Sleep expired > /dev/termination-log"]
`,
    ['--image-root', imageRoot],
  );
  const running = await statusWhen(root, 'termination-demo', 'termination-demo-container', (c) => c.state === 'running');
  t.is(running.message, undefined, 'no message while it runs');
  // restartPolicy Always (the default) starts it again after the exit: the message of the run that ended stays.
  const c = await statusWhen(root, 'termination-demo', 'termination-demo-container', (s) => s.state === 'exited' || s.restartCount > 0);
  if (c.state === 'exited') t.is(c.exitCode, 0);
  t.is(c.message, 'Sleep expired\n');
  const seen = await inspected(root, 'termination-demo', 'termination-demo-container');
  t.is(seen.status.message, 'Sleep expired\n');
  t.is(seen.exited[0], 'container termination-demo-container exited with code 0; message: Sleep expired\n');
  const file = path.join(root, 'pods', 'termination-demo', 'containers', 'termination-demo-container', 'termination-log');
  t.true(existsSync(file), 'the host file is in the pod state dir');
  await removed(t, root, 'termination-demo');
});

test('FallbackToLogsOnError: a container that prints boom and exits 1 has message boom; File leaves it empty', async (t) => {
  const root = await stateRoot(t, 'term');
  const pod = `fallback-${process.pid}`;
  await runDetached(
    t,
    root,
    pod,
    `apiVersion: v1
kind: Pod
metadata:
  name: ${pod}
spec:
  restartPolicy: Never
  containers:
  - name: fails
    image: debian
    command: ["sh", "-c", "echo boom; exit 1"]
    terminationMessagePolicy: FallbackToLogsOnError
  - name: file
    image: debian
    command: ["sh", "-c", "echo boom; exit 1"]
  - name: succeeds
    image: debian
    command: ["sh", "-c", "echo fine"]
    terminationMessagePolicy: FallbackToLogsOnError
  - name: many
    image: debian
    command: ["sh", "-c", "i=0; while [ $i -lt 100 ]; do echo line $i; i=$((i+1)); done; exit 2"]
    terminationMessagePolicy: FallbackToLogsOnError
`,
    ['--image-root', imageRoot],
  );
  const fails = await statusWhen(root, pod, 'fails', (c) => c.state === 'exited');
  t.is(fails.message, 'boom\n');
  t.is((await statusWhen(root, pod, 'file', (c) => c.state === 'exited')).message, undefined, 'File: the log is not used');
  t.is((await statusWhen(root, pod, 'succeeds', (c) => c.state === 'exited')).message, undefined, 'a success: the log is not used');
  const many = await statusWhen(root, pod, 'many', (c) => c.state === 'exited');
  const lines = Array.from({ length: 80 }, (_, i) => `line ${i + 20}\n`).join('');
  t.is(many.message, lines, 'the last 80 lines');
  t.deepEqual((await inspected(root, pod, 'fails')).exited, ['container fails exited with code 1; message: boom\n']);
  await removed(t, root, pod);
});

test('a message over 4096 bytes keeps its last 4096; a read-only root filesystem and another path work; each run gets a fresh file', async (t) => {
  const root = await stateRoot(t, 'term');
  const pod = `long-${process.pid}`;
  await runDetached(
    t,
    root,
    pod,
    `apiVersion: v1
kind: Pod
metadata:
  name: ${pod}
spec:
  restartPolicy: OnFailure
  containers:
  - name: long
    image: debian
    command: ["sh", "-c", "head -c 5000 /dev/zero | tr '\\\\0' a > /dev/termination-log; printf END >> /dev/termination-log"]
  - name: ro
    image: debian
    command: ["sh", "-c", "cat /tmp/msg; echo read-only root >> /tmp/msg"]
    terminationMessagePath: /tmp/msg
    securityContext:
      runAsUser: 1000
      readOnlyRootFilesystem: true
  - name: runs
    image: debian
    command:
    - sh
    - -c
    - |
      [ -s /dev/termination-log ] && echo stale
      if [ -e /keep/again ]; then echo second > /dev/termination-log; exec sleep 3600; fi
      touch /keep/again; echo first > /dev/termination-log; exit 3
    volumeMounts:
    - { name: keep, mountPath: /keep }
  volumes:
  - name: keep
    emptyDir: {}
`,
    ['--image-root', imageRoot],
  );
  const long = await statusWhen(root, pod, 'long', (c) => c.state === 'exited');
  t.is(Buffer.byteLength(long.message ?? ''), 4096);
  t.true(long.message?.endsWith('aaaEND'), 'the last bytes are kept');
  const ro = await statusWhen(root, pod, 'ro', (c) => c.state === 'exited');
  t.is(ro.exitCode, 0);
  t.is(ro.message, 'read-only root\n', 'a fresh, empty file, writable by uid 1000 on a read-only root');
  const runs = await statusWhen(root, pod, 'runs', (c) => c.state === 'running' && c.restartCount === 1);
  t.is(runs.message, 'first\n', "the last terminated run's message while the next runs");
  t.is((await nspod(root, ['--image-root', imageRoot, 'logs', pod, 'runs'])).stdout, '', 'the second run found its file empty');
  t.is((await inspected(root, pod, 'runs')).status.message, 'first\n');
  await removed(t, root, pod);
});
