/**
 * Writable data off tmpfs (issue 17): overlay upper dirs, disk emptyDirs and logs live under the data root (default
 * /var/lib/nspod), small state under the state root; a full data disk gives the container ENOSPC while nspod's own
 * records still land and stop/rm still work.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { dataRootFile, DEFAULT_DATA_ROOT } from '../../src/paths.js';
import { Pod } from '../../src/pod/pod.js';
import { StateRoot } from '../../src/pod/store.js';
import { eventually, forceClean, stateRoot } from '../helpers/host.js';
import { nspod, writeManifest } from '../helpers/cli.js';
import { assertNoLeftovers } from '../helpers/leftovers.js';

const fsType = async (p: string): Promise<string> => (await execa('stat', ['-f', '-c', '%T', p])).stdout.trim();

const volumesPod = (name: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    volumeMounts:
    - mountPath: /cache
      name: cache-volume
    - mountPath: /scratch
      name: scratch-volume
  volumes:
  - name: cache-volume
    emptyDir: {}
  - name: scratch-volume
    emptyDir:
      sizeLimit: 1Mi
      medium: Memory
`;

test('by default the writable layer, a disk emptyDir and the logs are under /var/lib/nspod, not on tmpfs; a Memory emptyDir is a tmpfs', async (t) => {
  // A state root that names no data root: the default is used, and this test removes its share of it.
  const root = await mkdtemp(path.join(os.tmpdir(), 'nspod-data-default-'));
  const share = new StateRoot(root).dataDirUnder(DEFAULT_DATA_ROOT);
  t.teardown(async () => {
    await forceClean(root);
    await rm(share, { recursive: true, force: true });
  });
  const name = `dd-${process.pid}`;
  const run = await nspod(root, ['run', '-d', '--wait=60s', await writeManifest(root, volumesPod(name))]);
  t.is(run.exitCode, 0, run.stderr);
  const pod = await Pod.load(name, { root });
  t.true(pod.dataDir.startsWith(`${share}/`), pod.dataDir);
  const upper = path.join(pod.dataDir, 'containers', 'app', 'upper');
  const app = await pod.container('app');
  t.true(existsSync(upper));
  t.true(app.logPath.startsWith(`${pod.dataDir}/`), app.logPath);
  t.not(await fsType(upper), 'tmpfs');
  t.not(await fsType(path.dirname(app.logPath)), 'tmpfs');
  // What the container sees: its writes to / land in that upper dir; /cache is on the same disk; /scratch in memory.
  t.is((await nspod(root, ['exec', name, '--', 'sh', '-c', 'echo x > /written'])).exitCode, 0);
  t.true(existsSync(path.join(upper, 'written')));
  const inside = async (dir: string) => (await nspod(root, ['exec', name, '--', 'stat', '-f', '-c', '%T', dir])).stdout.trim();
  t.is(await inside('/cache'), await fsType(share));
  t.is(await inside('/scratch'), 'tmpfs');
  t.is((await nspod(root, ['rm', '-f', name])).exitCode, 0);
  t.false(existsSync(pod.dataDir), 'the pod data dir goes with the pod');
  t.deepEqual(
    (await readdir(share)).filter((f) => f !== 'state-root'),
    [],
    'no pod of this state root is left in /var/lib/nspod',
  );
});

test('a full data disk: the container gets ENOSPC, its exit is recorded, its events land, ps, stop and rm work and leave nothing', async (t) => {
  const root = await stateRoot(t, 'data-full');
  // A small filesystem as the data root stands in for a full disk.
  const full = await mkdtemp(path.join(os.tmpdir(), 'nspod-data-full-'));
  t.teardown(async () => {
    await execa('umount', ['--lazy', full], { reject: false });
    await rm(full, { recursive: true, force: true });
  });
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0700', 'nspod-data-full-test', full]);
  await writeFile(dataRootFile(root), `${full}\n`);
  await mkdir(path.join(full, 'roots'), { mode: 0o700 });
  // doctor says where writable data goes, and warns that this one is memory.
  t.regex((await nspod(root, ['doctor'])).stdout, new RegExp(`^warn  data root: ${full} \\(tmpfs`, 'm'));
  const name = `df-${process.pid}`;
  const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  containers:
  - name: filler
    image: busybox
    command: ["sh", "-c", "dd if=/dev/zero of=/fill bs=1M count=20 2>&1 | grep -q 'No space left' || exit 1; echo written after the disk filled; exit 28"]
  - name: idle
    image: busybox
    command: ["sleep", "3600"]
`;
  t.is((await nspod(root, ['run', '-d', await writeManifest(root, manifest)])).exitCode, 0);
  const filler = await eventually(
    async () => {
      const c = (await (await Pod.load(name, { root })).status()).containers.find((x) => x.name === 'filler');
      return c?.state === 'exited' ? c : undefined;
    },
    60_000,
    'the filler to exit',
  );
  t.is(filler.exitCode, 28, 'dd saw ENOSPC');
  t.regex((await nspod(root, ['events', name])).stdout, /Exited.*filler/s);
  const ps = await nspod(root, ['ps', '-o', 'json']);
  t.is(ps.exitCode, 0, ps.stderr);
  t.regex(ps.stdout, new RegExp(`"${name}"`));
  t.is((await nspod(root, ['stop', name])).exitCode, 0);
  t.is((await (await Pod.load(name, { root })).status()).phase, 'Stopped');
  const rmResult = await nspod(root, ['rm', name]);
  t.is(rmResult.exitCode, 0, rmResult.stderr);
  await assertNoLeftovers(t, root, { pod: name });
  t.deepEqual(
    (await readdir(new StateRoot(root).dataDirUnder(full))).filter((f) => f !== 'state-root'),
    [],
    'the full disk is emptied of pods',
  );
});
