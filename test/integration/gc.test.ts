import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, rmdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { Pod } from '../../src/pod/pod.js';
import { gcPods, type PodGcEntry } from '../../src/pod/gc.js';
import { isAlive } from '../../src/host/proc.js';
import { mountsUnder, unmountAll } from '../../src/host/mounts.js';
import { cgroupMounts } from '../../src/host/cgroups.js';
import { readJson } from '../../src/host/files.js';
import type { PodRecord } from '../../src/pod/store.js';
import { cniContainerId, isPinned } from '../../src/network/attachment.js';
import { eventually, podCgroupDirs, RUNTIME, runtimeContainers, stateRoot } from '../helpers/host.js';
import { gcOutputOf, nspod } from '../helpers/cli.js';
import { assertNoLeftovers } from '../helpers/leftovers.js';
import { attachmentFiles, bridgePorts, iptablesLinesOf, leaseFiles, netTestEnv, slotNetwork } from '../helpers/network.js';

/** nspod gc -o json. */
interface GcJson {
  removed: { kind: string; pod?: string }[];
  failed: unknown[];
}

/** Hierarchies in which /nspod/<cgroup> exists. */
function cgroupDirsOf(cgroup: string): string[] {
  return cgroupMounts()
    .map((m) => path.join(m, 'nspod', cgroup))
    .filter((d) => existsSync(d));
}

const sleeperPod = (name: string, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - name: c
      image: busybox
      command: ["sleep", "3600"]
${extra}`;

test('kill -9 of nspod run between CNI ADD and the end of create: nspod gc removes the half-made pod, keeps the healthy one; doctor CHECKs it', async (t) => {
  // This test's slot of 198.18.0.0/24 (test/helpers/net-slots.ts). Registered first, so it runs after the pods are gone.
  const bridge = slotNetwork('gcCli').bridge;
  t.teardown(async () => {
    await execa('ip', ['link', 'del', bridge], { reject: false });
  });
  const env = await netTestEnv(t, 'gcCli');
  const cliEnv = { NSPOD_NETWORK: 'default', NSPOD_BRIDGE: bridge, NSPOD_POD_SUBNET: env.podSubnet, NSPOD_IPAM_DIR: env.ipamDataDir };
  const healthyFile = path.join(env.root, 'healthy.yaml');
  const crashedFile = path.join(env.root, 'crashed.yaml');
  await writeFile(healthyFile, sleeperPod('healthy'));
  await writeFile(crashedFile, sleeperPod('crashed', '      ports:\n        - containerPort: 80\n          hostPort: 18240\n'));

  const run = await nspod(env.root, ['run', '-d', healthyFile], { env: cliEnv });
  t.is(run.exitCode, 0, run.stderr);
  const healthy = await (await Pod.load('healthy', { root: env.root })).status();
  const doctor = await nspod(env.root, ['doctor'], { env: cliEnv });
  t.regex(
    doctor.stdout,
    new RegExp(`^ok\\s+pod healthy: CNI CHECK ok \\(network nspod, ${healthy.network.podIP!.replace(/\./g, '\\.')},`, 'm'),
    doctor.stdout,
  );

  // The test hook SIGKILLs the CLI itself right after CNI ADD.
  const crashing = nspod(env.root, ['run', '-d', crashedFile], { env: { ...cliEnv, NSPOD_TEST_CRASH_AT: 'after-cni-add' } });
  const crashedPid = crashing.pid;
  const crash = await crashing;
  t.is(crash.signal, 'SIGKILL', `${crash.stdout}\n${crash.stderr}`);
  const dir = path.join(env.root, 'pods', 'crashed');
  const record = (await readJson<PodRecord>(path.join(dir, 'pod.json')))!;
  t.is(record.phase, 'Creating');
  t.is(record.creator?.pid, crashedPid);
  const cgroup = `crashed-${record.uid}`;
  const containerId = (await attachmentFiles(env.root)).map((f) => f.replace(/\.json$/, '')).find((id) => id.startsWith('crashed-'))!;
  // What the crash left: the pause, the pin, a lease and a veth, portmap's chains, the pod's cgroup.
  t.true((await runtimeContainers(path.join(env.root, 'runtime', RUNTIME))).includes('crashed'));
  t.true(isPinned(path.join(dir, 'netns')));
  t.is((await leaseFiles(env.root)).length, 2);
  t.is((await bridgePorts(bridge)).length, 2);
  t.not((await iptablesLinesOf('nspod', [containerId], [])).length, 0);
  t.not(cgroupDirsOf(cgroup).length, 0);

  const gc = await nspod(env.root, ['gc'], { env: cliEnv });
  t.is(gc.exitCode, 0, `${gc.stdout}\n${gc.stderr}`);
  t.log(gc.stdout);
  t.regex(gc.stdout, new RegExp(`^released network attachment ${containerId} of pod crashed \\(half-made\\)$`, 'm'));
  t.regex(gc.stdout, /^removed container crashed of pod crashed \(half-made\)$/m);
  t.regex(gc.stdout, new RegExp(`^removed cgroup /nspod/${cgroup} of pod crashed \\(half-made\\)$`, 'm'));
  t.regex(gc.stdout, new RegExp(`^removed state dir ${dir} of pod crashed \\(half-made\\)$`, 'm'));
  t.notRegex(gc.stdout, /healthy/);

  t.deepEqual((await runtimeContainers(path.join(env.root, 'runtime', RUNTIME))).sort(), ['healthy', 'healthy.c']);
  t.deepEqual(mountsUnder(dir), []);
  t.false(existsSync(dir));
  const healthyId = healthy.network.containerId!;
  t.deepEqual(await attachmentFiles(env.root), [`${healthyId}.json`]);
  t.deepEqual(await leaseFiles(env.root), [healthy.network.podIP!]);
  t.is((await bridgePorts(bridge)).length, 1);
  t.deepEqual(await iptablesLinesOf('nspod', [containerId], []), []);
  t.deepEqual(cgroupDirsOf(cgroup), []);
  // The healthy pod is untouched, and its network still passes CHECK.
  t.true(isAlive(healthy.pause!.pid));
  t.regex((await nspod(env.root, ['ps'], { env: cliEnv })).stdout, /^healthy\s+1\/1\s+Running/m);
  t.regex((await nspod(env.root, ['doctor'], { env: cliEnv })).stdout, /^ok\s+pod healthy: CNI CHECK ok/m);

  const again = await nspod(env.root, ['gc'], { env: cliEnv });
  t.is(gcOutputOf(again.stdout, ['healthy', 'crashed']), 'nothing to collect\n');
  const json = JSON.parse((await nspod(env.root, ['gc', '-o', 'json'], { env: cliEnv })).stdout) as GcJson;
  // The host-wide sweep of empty pod cgroups may meet another test's (see gcOutputOf).
  const ours = json.removed.filter((e) => e.kind !== 'cgroup' || ['healthy', 'crashed'].includes(e.pod ?? ''));
  t.deepEqual({ ...json, removed: ours }, { removed: [], failed: [] });

  // CHECK is a real check: with the pod's lease gone from host-local's store, doctor says FAIL and exits 1.
  // (A lease, not eth0: the bridge plugin's DEL finds the masquerade chain through eth0's address.)
  await rm(path.join(env.root, 'network', 'ipam', 'nspod', healthy.network.podIP!));
  const broken = await nspod(env.root, ['doctor'], { env: cliEnv });
  t.is(broken.exitCode, 1);
  t.regex(broken.stdout, /^FAIL\s+pod healthy: CNI CHECK failed \(network nspod, .*\): .*/m, broken.stdout);
  t.log(broken.stdout.split('\n').find((l) => l.includes('pod healthy')));
  await (await Pod.load('healthy', { root: env.root })).remove({ gracePeriodSeconds: 0 });
  t.deepEqual(await iptablesLinesOf('nspod', [healthyId], [healthy.network.podIP!]), []);
});

test('gc removes stray runtime containers, mounts of stopped pods and old empty pod cgroups; a healthy pod and a failed one are kept', async (t) => {
  const root = await stateRoot(t, 'gc');
  const options = { root, runtime: RUNTIME };
  const spec = (name: string) => ({ name, network: 'none', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] });
  const keep = await Pod.create(spec('keep'), options);
  const stray = await Pod.create(spec('stray'), options);
  const stopped = await Pod.create(spec('stopped'), options);
  const dead = await Pod.create(spec('dead'), options);
  const keepStatus = await keep.status();
  const strayStatus = await stray.status();

  // A pod dir removed by hand (its mounts first: rm cannot remove a mount point) while its containers run.
  await unmountAll(stray.dir);
  await rm(stray.dir, { recursive: true, force: true });
  // A stop that died before its unmount: a mount left under a Stopped pod.
  await stopped.stop({ gracePeriodSeconds: 0 });
  const leftMount = path.join(stopped.dir, 'left');
  await mkdir(leftMount);
  await execa('mount', ['-t', 'tmpfs', 'tmpfs', leftMount]);
  t.teardown(() => execa('umount', ['--lazy', leftMount], { reject: false }).then(() => undefined));
  // A pod whose pause died: kept for inspection.
  const deadPause = (await dead.status()).pause!.pid;
  process.kill(deadPause, 'SIGKILL');
  await eventually(() => (isAlive(deadPause) ? undefined : true), 5000, 'the pause to die');
  // Pod cgroups of no pod: an old empty one goes; a young one may be a pod being created elsewhere, and stays.
  const memory = cgroupMounts().find((m) => existsSync(path.join(m, 'memory.limit_in_bytes'))) ?? cgroupMounts()[0]!;
  const oldCgroup = `gcsweep-${process.pid}-0000abcd`;
  const youngCgroup = `gcsweep-${process.pid}-0000abce`;
  for (const name of [oldCgroup, youngCgroup]) {
    await mkdir(path.join(memory, 'nspod', name, 'inner'), { recursive: true });
    t.teardown(async () => {
      await rmdir(path.join(memory, 'nspod', name, 'inner')).catch(() => undefined);
      await rmdir(path.join(memory, 'nspod', name)).catch(() => undefined);
    });
  }
  const twoMinutesAgo = new Date(Date.now() - 120_000);
  await utimes(path.join(memory, 'nspod', oldCgroup), twoMinutesAgo, twoMinutesAgo);

  // The old cgroup is any gc's to remove (a gc of another test's root may take it first): asserted gone below.
  const mine = (e: PodGcEntry) => ['keep', 'stray', 'stopped', 'dead'].includes(e.pod);
  const report = await gcPods({ root, runtime: RUNTIME });
  const removed = report.removed.filter(mine).map(({ kind, what, pod, reason }) => `${kind} ${what} ${pod} ${reason}`);
  t.deepEqual(
    removed.sort(),
    [
      `cgroup /nspod/${stray.cgroup} stray pod-gone`,
      'container stray stray pod-gone',
      'container stray.c stray pod-gone',
      // Its pod dir was deleted by hand: its data dir (writable layers, logs) is an orphan of this root.
      `data-dir ${stray.dataDir} stray pod-gone`,
      `mount ${leftMount} stopped pod-stopped`,
    ].sort(),
  );
  t.false(existsSync(stray.dataDir), "the stray pod's data dir");
  t.deepEqual(report.failed, [{ pod: 'dead', pausePid: deadPause }]);

  t.false(isAlive(strayStatus.pause!.pid));
  t.deepEqual(cgroupDirsOf(stray.cgroup), []);
  t.false(existsSync(path.join(memory, 'nspod', oldCgroup)));
  t.true(existsSync(path.join(memory, 'nspod', youngCgroup)));
  t.deepEqual(mountsUnder(stopped.dir), []);
  t.true(existsSync(dead.dir));
  // The healthy pod is untouched.
  t.true(isAlive(keepStatus.pause!.pid));
  t.is((await keep.status()).phase, 'Running');
  t.deepEqual((await Pod.list({ root })).sort(), ['dead', 'keep', 'stopped']);
  t.deepEqual((await runtimeContainers(path.join(root, 'runtime', RUNTIME))).filter((id) => !id.startsWith('dead')).sort(), [
    'keep',
    'keep.c',
  ]);

  const second = await gcPods({ root, runtime: RUNTIME });
  t.deepEqual(second.removed.filter(mine), []);
  t.deepEqual(second.failed, [{ pod: 'dead', pausePid: deadPause }]);
  for (const p of [keep, stopped, dead]) await p.remove({ gracePeriodSeconds: 0 });
  t.deepEqual(await readdir(path.join(root, 'pods')), []);
});

test('a create whose undo fails keeps the pod dir and record for nspod gc, which collects the half-made pod while its creator still runs', async (t) => {
  const root = await stateRoot(t, 'undo');
  // A CNI network of one plugin (no bridge, no address) that refuses ADD, and DEL too while a file exists: the network's undo fails.
  const cni = path.join(root, 'cni');
  await mkdir(path.join(cni, 'bin'), { recursive: true });
  await mkdir(path.join(cni, 'net.d'));
  const delFails = path.join(cni, 'del-fails');
  await writeFile(delFails, '');
  const plugin = `#!/bin/sh
cat >/dev/null
if [ "$CNI_COMMAND" = ADD ] || [ -e ${delFails} ]; then
  echo '{"cniVersion":"1.0.0","code":999,"msg":"refused by the test"}'
  exit 1
fi
`;
  await writeFile(path.join(cni, 'bin', 'refuse'), plugin, { mode: 0o755 });
  await writeFile(
    path.join(cni, 'net.d', 'refusing.conflist'),
    JSON.stringify({ cniVersion: '1.0.0', name: 'refusing', plugins: [{ type: 'refuse' }] }),
  );
  const options = { root, runtime: RUNTIME, cniPath: [path.join(cni, 'bin')], cniConfDir: path.join(cni, 'net.d') };
  const spec = { name: 'undone', network: 'refusing', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] };

  const error = await t.throwsAsync(Pod.create(spec, options));
  t.log(error!.message);
  t.regex(error!.message, /^pod undone: CNI plugin refuse failed on ADD \(CNI error 999\): refused by the test/);
  t.regex(
    error!.message,
    /; rollback also failed: network attachment: releasing the network of pod undone: CNI plugin refuse failed on DEL/,
  );
  t.regex(error!.message, /state dir: kept \S+\/pods\/undone with its record: nspod gc collects what is left of the pod$/);
  const dir = path.join(root, 'pods', 'undone');
  const record = (await readJson<PodRecord>(path.join(dir, 'pod.json')))!;
  t.is(record.phase, 'Creating');
  t.is(record.creator?.pid, process.pid, 'its creator still runs');
  t.is(record.rollbackFailed?.length, 1);
  t.regex(record.rollbackFailed![0]!, /^network attachment: releasing the network of pod undone: /);
  // The other undos ran: the pause and the pod's cgroups are gone; the pin stays with the attachment DEL needs.
  t.deepEqual(await runtimeContainers(path.join(root, 'runtime', RUNTIME)), []);
  t.deepEqual(await podCgroupDirs('undone'), []);
  t.true(isPinned(path.join(dir, 'netns')));
  const containerId = cniContainerId('undone', record.uid);
  t.deepEqual(await attachmentFiles(root), [`${containerId}.json`]);

  await rm(delFails);
  const report = await gcPods({ root, runtime: RUNTIME });
  t.deepEqual(
    report.removed.map(({ kind, what, pod, reason, error }) => `${kind} ${what} ${pod} ${reason}${error ? ` ${error}` : ''}`).sort(),
    [`network ${containerId} undone half-made`, `state-dir ${dir} undone half-made`],
  );
  await assertNoLeftovers(t, root, { pod: 'undone', pids: [record.pause!.pid] });
  t.deepEqual(await attachmentFiles(root), []);
  t.deepEqual((await gcPods({ root, runtime: RUNTIME })).removed, []);
});
