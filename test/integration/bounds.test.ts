/** Bounded by default (issue 17, B5): container logs rotate in the shim; logs --tail reads from the end; logs -f follows across rotation. */
import test from 'ava';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { Pod } from '../../src/pod/pod.js';
import { DEFAULT_LOG_MAX_FILES, DEFAULT_LOG_MAX_SIZE } from '../../src/pod/options.js';
import { eventually, stateRoot } from '../helpers/host.js';
import { NSPOD_BIN, nspod, writeManifest } from '../helpers/cli.js';
import { RUNTIME } from '../helpers/host.js';
import { assertNoLeftovers } from '../helpers/leftovers.js';

const pod = (name: string, script: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  containers:
    - name: app
      image: busybox
      command: ["sh", "-c", ${JSON.stringify(script)}]
`;

/** Where the pod's container logs are: the data root's pod dir, as its record says. */
async function logDir(root: string, name: string): Promise<string> {
  return path.dirname((await (await Pod.load(name, { root })).container('app')).logPath);
}

async function exited(root: string, name: string): Promise<void> {
  await eventually(
    async () => ((await (await Pod.load(name, { root })).container('app')).state === 'exited' ? true : undefined),
    240_000,
    'the container to exit',
  );
}

test('a container writing 200 MiB to stdout: its log files stay within 10 MiB x 5, and logs --tail 5 reads them in bounded memory', async (t) => {
  const root = await stateRoot(t, 'bounds-log');
  const name = `bl-${process.pid}`;
  // 1000-byte lines of y, 200 MiB in all.
  const script = 's=$(head -c 999 /dev/zero | tr "\\0" y); yes $s | head -c 209715200; echo; echo the end';
  t.is((await nspod(root, ['run', '-d', await writeManifest(root, pod(name, script))])).exitCode, 0);
  await exited(root, name);
  const dir = await logDir(root, name);
  const files = (await readdir(dir)).sort();
  t.deepEqual(files, ['app.log', 'app.log.1', 'app.log.2', 'app.log.3', 'app.log.4']);
  // A file is rotated once a write took it past the bound: by at most one read's worth of records.
  for (const f of files) t.true((await stat(path.join(dir, f))).size <= DEFAULT_LOG_MAX_SIZE + 256 * 1024, f);
  t.is(DEFAULT_LOG_MAX_FILES, files.length);

  const time = await execa(
    '/usr/bin/time',
    ['-f', '%M', process.execPath, NSPOD_BIN, '--root', root, '--runtime', RUNTIME, 'logs', '--tail', '5', name],
    {
      reject: false,
    },
  );
  t.is(time.exitCode, 0, time.stderr);
  const lines = time.stdout.split('\n').filter((l) => l !== '');
  t.is(lines.length, 5);
  t.is(lines.at(-1), 'the end');
  t.regex(lines[0]!, /^y+$/);
  const maxRssKiB = Number(time.stderr.trim().split('\n').at(-1));
  // Node itself takes 40-90 MiB; the whole current file (10 MiB) as lines would be several times more.
  t.true(maxRssKiB > 0 && maxRssKiB < 120 * 1024, `logs --tail 5 took ${maxRssKiB} KiB`);
  t.is((await nspod(root, ['rm', '-f', name])).exitCode, 0);
  await assertNoLeftovers(t, root);
});

test('logs -f follows the log across rotations: every line, in order, once', async (t) => {
  const root = await stateRoot(t, 'bounds-follow');
  const name = `bf-${process.pid}`;
  const script =
    'echo ready; while [ ! -e /tmp/go ]; do sleep 0.05; done; i=0; while [ $i -lt 300 ]; do echo "line $i of the test"; i=$((i+1)); sleep 0.01; done; echo done; sleep 3600';
  const env = { NSPOD_LOG_MAX_SIZE: '2048', NSPOD_LOG_MAX_FILES: '2' };
  t.is((await nspod(root, ['run', '-d', await writeManifest(root, pod(name, script))], { env })).exitCode, 0);
  const follow = execa(process.execPath, [NSPOD_BIN, '--root', root, '--runtime', RUNTIME, 'logs', '-f', name], { reject: false });
  t.teardown(() => follow.kill('SIGKILL'));
  let seen = '';
  follow.stdout?.on('data', (d: Buffer) => (seen += d.toString()));
  await eventually(() => (seen.includes('ready\n') ? true : undefined), 30_000, 'the follower to start');
  t.is((await nspod(root, ['exec', name, '--', 'touch', '/tmp/go'])).exitCode, 0);
  await eventually(() => (seen.includes('done\n') ? true : undefined), 60_000, 'the last line');
  follow.kill('SIGTERM');
  await follow;
  const expected = ['ready', ...Array.from({ length: 300 }, (_, i) => `line ${i} of the test`), 'done'];
  t.deepEqual(
    seen.split('\n').filter((l) => l !== ''),
    expected,
  );
  // And the log did rotate, within its bound.
  const files = (await readdir(await logDir(root, name))).sort();
  t.deepEqual(files, ['app.log', 'app.log.1']);
  t.is((await nspod(root, ['rm', '-f', name])).exitCode, 0);
  await assertNoLeftovers(t, root);
});
