/** Container lifecycle with real runtimes: stop signals, postStart and preStop hooks, on detached pods driven by the CLI. */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { eventually, stateRoot } from '../helpers/host.js';
import { nspod, runDetached } from '../helpers/cli.js';
import { tempDir, toolboxImageArchive } from '../helpers/images.js';
import { assertNoLeftovers } from '../helpers/leftovers.js';

interface Event {
  time: string;
  reason: string;
  container?: string;
  message: string;
}

const uptime = async () => Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]);

/** A detached pod from `manifest` under a fresh state root (a private image root too), removed when the test ends. */
async function detached(t: import('ava').ExecutionContext, name: string, manifest: string, images?: (cli: Cli) => Promise<void>) {
  const root = await stateRoot(t, 'life');
  const imageRoot = path.join(root, 'images');
  const cli: Cli = (args) => nspod(root, ['--image-root', imageRoot, ...args]);
  if (images) await images(cli);
  await runDetached(t, root, name, manifest, ['--image-root', imageRoot]);
  const events = async (): Promise<Event[]> => JSON.parse((await cli(['events', name, '-o', 'json'])).stdout) as Event[];
  const logs = async () => (await cli(['logs', name])).stdout;
  return { root, cli, events, logs, dir: path.join(root, 'pods', name) };
}
type Cli = (args: string[]) => ReturnType<typeof nspod>;

/** Where the pod's emptyDirs and writable layers are (its record's dataDir, under the test's data root). */
const dataDirOf = async (dir: string) => (JSON.parse(await readFile(path.join(dir, 'pod.json'), 'utf8')) as { dataDir: string }).dataDir;

/** A shell that says which signal ended it (by trap), once its traps are set. */
const TRAPPER = (signals: string[]) =>
  `${signals.map((s) => `trap 'echo got ${s}; exit 0' ${s}`).join('; ')}; echo up; while true; do sleep 0.1; done`;

test('lifecycle.stopSignal SIGUSR1: the container gets SIGUSR1 on stop, and the Killing event names it', async (t) => {
  const name = `sig-${process.pid}`;
  const pod = await detached(
    t,
    name,
    `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  os:
    name: linux
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "${TRAPPER(['USR1', 'TERM'])}"]
    lifecycle:
      stopSignal: SIGUSR1
`,
  );
  await eventually(async () => ((await pod.logs()).includes('up') ? true : undefined), 10000, 'the traps to be set');
  const stop = await pod.cli(['stop', name]);
  t.is(stop.exitCode, 0, stop.stderr);
  const logs = await pod.logs();
  t.regex(logs, /got USR1/);
  t.notRegex(logs, /got TERM/);
  const killing = (await pod.events()).find((e) => e.reason === 'Killing');
  t.regex(killing?.message ?? '', /stopping container app with SIGUSR1 \(grace period 30 s\)/);
  t.is((await pod.cli(['rm', name])).exitCode, 0);
  await assertNoLeftovers(t, pod.root, { pod: name });
});

test("an image whose config says StopSignal SIGQUIT: the container gets SIGQUIT; the lifecycle's signal wins over it", async (t) => {
  const name = `quit-${process.pid}`;
  const work = await tempDir(t, 'life-img');
  const image = await toolboxImageArchive(work, 'quitter', { cmd: ['sh', '-c', TRAPPER(['QUIT', 'TERM', 'USR2'])], stopSignal: 'SIGQUIT' });
  const pod = await detached(
    t,
    name,
    `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  os: { name: linux }
  containers:
  - name: by-image
    image: quitter:1
  - name: by-lifecycle
    image: quitter:1
    lifecycle: { stopSignal: SIGUSR2 }
`,
    async (cli) => {
      t.is((await cli(['image', 'import', 'quitter:1', image])).exitCode, 0);
    },
  );
  for (const c of ['by-image', 'by-lifecycle'])
    await eventually(async () => ((await pod.cli(['logs', name, c])).stdout.includes('up') ? true : undefined), 10000, `${c}'s traps`);
  t.is((await pod.cli(['stop', name])).exitCode, 0);
  t.regex((await pod.cli(['logs', name, 'by-image'])).stdout, /got QUIT/);
  t.regex((await pod.cli(['logs', name, 'by-lifecycle'])).stdout, /got USR2/);
  const killing = (await pod.events()).filter((e) => e.reason === 'Killing').map((e) => e.message);
  t.true(killing.some((m) => /container by-image with SIGQUIT/.test(m)));
  t.true(killing.some((m) => /container by-lifecycle with SIGUSR2/.test(m)));
});

test('preStop sleep 2 s: the stop signal arrives at least 2 s after the stop began', async (t) => {
  const name = `presleep-${process.pid}`;
  const pod = await detached(
    t,
    name,
    `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c"]
    args:
    - trap 'echo "TERM at $(cut -d " " -f 1 /proc/uptime)"; exit 0' TERM; echo up; while true; do sleep 0.1; done
    lifecycle:
      preStop:
        sleep:
          seconds: 2
`,
  );
  await eventually(async () => ((await pod.logs()).includes('up') ? true : undefined), 10000, 'the trap to be set');
  const before = await uptime();
  t.is((await pod.cli(['stop', name])).exitCode, 0);
  const at = /TERM at ([\d.]+)/.exec(await pod.logs());
  t.truthy(at, 'the trap saw TERM');
  t.true(Number(at![1]) - before >= 2, `TERM came ${Number(at![1]) - before} s after the stop began`);
  const events = await pod.events();
  t.false(events.some((e) => e.reason === 'FailedPreStopHook'));
});

test('preStop exec writes a file to a volume: it is there after nspod stop; a failing one is FailedPreStopHook', async (t) => {
  const name = `preexec-${process.pid}`;
  const pod = await detached(
    t,
    name,
    `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 3
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    volumeMounts:
    - { name: data, mountPath: /data }
    lifecycle:
      preStop:
        exec:
          command: ["sh", "-c", "echo bye from preStop > /data/bye"]
  - name: broken
    image: busybox
    command: ["sleep", "3600"]
    lifecycle:
      preStop:
        exec:
          command: ["sh", "-c", "echo cannot; exit 3"]
  volumes:
  - name: data
    emptyDir: {}
`,
  );
  t.is((await pod.cli(['stop', name])).exitCode, 0);
  t.is(await readFile(path.join(await dataDirOf(pod.dir), 'volumes', 'data', 'bye'), 'utf8'), 'bye from preStop\n');
  const failed = (await pod.events()).filter((e) => e.reason === 'FailedPreStopHook');
  t.is(failed.length, 1);
  t.is(failed[0]!.container, 'broken');
  t.regex(failed[0]!.message, /exited with code 3: cannot/);
});

test('a preStop longer than the grace period is cut short and the container killed', async (t) => {
  const name = `prelong-${process.pid}`;
  const pod = await detached(
    t,
    name,
    `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "trap '' TERM; echo up; while true; do sleep 0.1; done"]
    lifecycle:
      preStop:
        exec:
          command: ["sh", "-c", "trap '' TERM; sleep 600"]
`,
  );
  await eventually(async () => ((await pod.logs()).includes('up') ? true : undefined), 10000, 'the trap to be set');
  t.is((await pod.cli(['stop', name])).exitCode, 0);
  const events = await pod.events();
  t.regex(events.find((e) => e.reason === 'FailedPreStopHook')?.message ?? '', /did not finish within the grace period of 2 s|failed/);
  t.regex(events.find((e) => e.reason === 'Exited')?.message ?? '', /killed by signal 9/);
  const status = JSON.parse((await pod.cli(['inspect', name])).stdout).status;
  t.is(status.containers[0].exitCode, 137);
});

test("the docs' lifecycle-events pod, unedited: postStart writes /usr/share/message, preStop quits nginx", async (t) => {
  const work = await tempDir(t, 'life-nginx');
  // A stand-in for nginx: a shell named nginx that serves with busybox httpd and quits on SIGQUIT, as nginx -s quit asks.
  const nginx = await toolboxImageArchive(work, 'nginx', { cmd: ['nginx', '-g', 'daemon off;'], stopSignal: 'SIGQUIT' }, [
    { path: 'usr/share/nginx/html/index.html', content: 'stand-in nginx\n' },
    {
      path: 'usr/sbin/nginx',
      content: `#!/bin/sh\nif [ "$1" = "-s" ]; then kill -QUIT 1; exit 0; fi\ntrap 'echo quitting; exit 0' QUIT\nhttpd -f -p 80 -h /usr/share/nginx/html & wait\n`,
      mode: 0o755,
    },
  ]);
  const pod = await detached(
    t,
    'lifecycle-demo',
    `apiVersion: v1
kind: Pod
metadata:
  name: lifecycle-demo
spec:
  containers:
  - name: lifecycle-demo-container
    image: nginx
    lifecycle:
      postStart:
        exec:
          command: ["/bin/sh", "-c", "echo Hello from the postStart handler > /usr/share/message"]
      preStop:
        exec:
          command: ["/bin/sh","-c","nginx -s quit; while killall -0 nginx; do sleep 1; done"]
`,
    async (cli) => {
      t.is((await cli(['image', 'import', 'nginx', nginx])).exitCode, 0);
    },
  );
  // run -d returns once the postStart hook has: the file is there.
  const cat = await pod.cli(['exec', 'lifecycle-demo', '--', 'cat', '/usr/share/message']);
  t.is(cat.stdout, 'Hello from the postStart handler\n');
  t.regex((await pod.cli(['ps'])).stdout, /^lifecycle-demo\s+1\/1\s+Running/m);
  t.is((await pod.cli(['stop', 'lifecycle-demo'])).exitCode, 0);
  t.regex(await pod.logs(), /quitting/, 'nginx -s quit reached it');
  const events = await pod.events();
  const exited = events.find((e) => e.reason === 'Exited');
  t.regex(exited?.message ?? '', /exited with code 0/);
  t.false(events.some((e) => e.reason === 'FailedPostStartHook'));
});

test('a postStart that fails kills the container: FailedPostStartHook with its output, and restartPolicy Never leaves it exited', async (t) => {
  const name = `postfail-${process.pid}`;
  const pod = await detached(
    t,
    name,
    `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    lifecycle:
      postStart:
        exec:
          command: ["sh", "-c", "echo no config here >&2; exit 1"]
`,
  );
  const events = await eventually(
    async () => {
      const all = await pod.events();
      return all.some((e) => e.reason === 'Exited') ? all : undefined;
    },
    10000,
    'the exit',
  );
  const failed = events.find((e) => e.reason === 'FailedPostStartHook');
  t.regex(
    failed?.message ?? '',
    /postStart hook \(exec \["sh","-c","echo no config here >&2; exit 1"\]\) of container app failed: exited with code 1: no config here/,
  );
  t.regex(events.find((e) => e.reason === 'Exited')?.message ?? '', /killed by signal 9/);
  const ps = (await pod.cli(['ps'])).stdout;
  t.regex(ps, new RegExp(`^${name}\\s+0/1\\s+Error`, 'm'));
});
