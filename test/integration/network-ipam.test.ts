import test from 'ava';
import { readdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { Pod } from '../../src/pod/pod.js';
import { defaultIpamDataDir } from '../../src/network/config.js';
import { leaseFiles, netTestEnv, networkLeftovers, NO_LEFTOVERS, slotNetwork } from '../helpers/network.js';

test('two state roots on the built-in network share its host-wide lease dir: their pods never get the same address', async (t) => {
  // The real default lease dir for this slot's bridge and subnet (only NSPOD_IPAM_DIR in the environment would move it).
  const { bridge, podSubnet } = slotNetwork('ipamShared');
  const leaseDir = process.env.NSPOD_IPAM_DIR ?? defaultIpamDataDir(bridge, podSubnet);
  t.teardown(async () => {
    await rm(leaseDir, { recursive: true, force: true });
    // The host-wide base too, when this test was its only user (rmdir fails on a dir that holds others' leases).
    await rmdir(path.dirname(leaseDir)).catch(() => undefined);
  });
  const one = await netTestEnv(t, 'ipamShared');
  const two = await netTestEnv(t, 'ipamShared');
  const { ipamDataDir: _a, ...optionsOne } = one.options;
  const { ipamDataDir: _b, ...optionsTwo } = two.options;
  const pods = [];
  for (let i = 0; i < 3; i++) {
    pods.push(
      await Pod.create({ name: `root1-${i}`, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] }, optionsOne),
    );
    pods.push(
      await Pod.create({ name: `root2-${i}`, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] }, optionsTwo),
    );
  }
  const statuses = await Promise.all(pods.map((p) => p.status()));
  const ips = statuses.map((s) => s.network.podIP!);
  t.is(new Set(ips).size, 6, ips.join(' '));
  // The leases are in the shared dir, none under either root.
  t.deepEqual((await leaseFiles(one.root, 'nspod', leaseDir)).sort(), [...ips].sort());
  t.deepEqual(await leaseFiles(one.root), []);
  t.deepEqual(await leaseFiles(two.root), []);
  for (const p of pods) await p.remove({ gracePeriodSeconds: 0 });
  t.deepEqual(await leaseFiles(one.root, 'nspod', leaseDir), []);
  const ids = statuses.map((s) => s.network.containerId!);
  t.deepEqual(await networkLeftovers(one, ids, ips), NO_LEFTOVERS);
  t.deepEqual(await networkLeftovers(two, ids, ips), NO_LEFTOVERS);
  t.true((await readdir(path.join(leaseDir, 'nspod'))).every((f) => !/^\d+\.\d+\.\d+\.\d+$/.test(f)));
});
