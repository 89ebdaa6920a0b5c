/** A restarted container starts on a fresh writable layer (its volumes keep what it wrote) and keeps its last run's log. */
import test from 'ava';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { eventually, stateRoot } from '../helpers/host.js';
import { nspod, writeManifest } from '../helpers/cli.js';
import { assertNoLeftovers } from '../helpers/leftovers.js';
import { Pod } from '../../src/pod/pod.js';
import { RUNTIME } from '../helpers/host.js';

/** Bytes of every file below `dir`. */
async function bytesBelow(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += (await stat(path.join(e.parentPath, e.name))).size;
  }
  return total;
}

test('a container that writes 10 MB to /tmp and fails, three times: its writable layer holds one run; logs --previous the last', async (t) => {
  const root = await stateRoot(t, 'fresh');
  const name = `fresh-${process.pid}`;
  const file = await writeManifest(
    root,
    `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: OnFailure
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c"]
    args:
    - |
      n=$(cat /state/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /state/n
      echo "run $n sees: $(ls /tmp)"
      dd if=/dev/zero of=/tmp/big.$n bs=1M count=10 2>/dev/null
      [ $n -ge 4 ] && exec sleep 3600
      exit 1
    volumeMounts:
    - { name: state, mountPath: /state }
  volumes:
  - name: state
    emptyDir: {}
`,
  );
  t.teardown(() => nspod(root, ['rm', '-f', name]).then(() => undefined));
  const env = { NSPOD_RESTART_BACKOFF_MS: '200' };
  t.is((await nspod(root, ['run', '-d', file], { env })).exitCode, 0);
  await eventually(
    async () => ((await nspod(root, ['logs', name])).stdout.startsWith('run 4') ? true : undefined),
    30000,
    'the fourth run',
  );
  const upper = path.join((await Pod.load(name, { root, runtime: RUNTIME })).dataDir, 'containers', 'app', 'upper');
  await eventually(async () => ((await readdir(path.join(upper, 'tmp')).catch((): string[] => [])).includes('big.4') ? true : undefined));
  t.deepEqual(await readdir(path.join(upper, 'tmp')), ['big.4'], 'only this run wrote here');
  t.true((await bytesBelow(upper)) <= 11 * 1024 * 1024, 'at most one run of 10 MB');
  t.is((await nspod(root, ['logs', name])).stdout, 'run 4 sees: \n', 'each run starts with an empty /tmp');
  t.is((await nspod(root, ['logs', '--previous', name])).stdout, 'run 3 sees: \n');
  t.is((await nspod(root, ['logs', '-p', '--tail', '1', name, 'app'])).stdout, 'run 3 sees: \n');
  const pod = await Pod.load(name, { root, runtime: RUNTIME });
  const lines = async (options: { previous?: boolean }) => {
    const out: string[] = [];
    for await (const e of pod.logs('app', options)) out.push(e.line);
    return out;
  };
  t.deepEqual(await lines({ previous: true }), ['run 3 sees: ']);
  t.deepEqual(await lines({}), ['run 4 sees: ']);
  t.is((await pod.container('app')).restartCount, 3);
  t.is((await nspod(root, ['rm', '-f', name])).exitCode, 0);
  await assertNoLeftovers(t, root, { pod: name });
});

test('logs --previous of a container that has not been restarted says so', async (t) => {
  const root = await stateRoot(t, 'fresh');
  const name = `once-${process.pid}`;
  const file = await writeManifest(
    root,
    `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  containers:
  - { name: app, image: busybox, command: ["sh", "-c", "echo hi; exec sleep 3600"] }
`,
  );
  t.teardown(() => nspod(root, ['rm', '-f', name]).then(() => undefined));
  t.is((await nspod(root, ['run', '-d', file])).exitCode, 0);
  const r = await nspod(root, ['logs', '--previous', name]);
  t.is(r.exitCode, 1);
  t.regex(r.stderr, /previous terminated container "app" in pod once-\d+ not found/);
  t.is((await nspod(root, ['logs', '-p', '-f', name])).exitCode, 2);
});
