import test from 'ava';
import { bridgeOf, bridgeVerdict, leaseDirOf, type BridgeFacts } from '../../src/network/bridges.js';
import { defaultConfList } from '../../src/network/config.js';

const record = {
  version: 1,
  bridge: 'br0',
  ifindex: 42,
  netns: 7,
  createdAt: '2026-01-01T00:00:00Z',
  leaseDirs: [],
  roots: ['/run/nspod'],
} as const;
const idle: BridgeFacts = {
  record: { ...record, leaseDirs: [], roots: ['/run/nspod'] },
  present: { ifindex: 42, ports: 0 },
  netns: 7,
  liveUsers: 0,
  idleMs: 120_000,
  minAgeMs: 60_000,
  ours: true,
};

test('gc removes a bridge only when nspod made this very bridge, in this netns, and nothing uses it', (t) => {
  t.deepEqual(bridgeVerdict(idle), { action: 'remove' });
  // Gone already: its lease dirs, chain and record still go.
  t.deepEqual(bridgeVerdict({ ...idle, present: undefined }), { action: 'remove' });
  t.deepEqual(bridgeVerdict({ ...idle, liveUsers: 1 }), { action: 'keep', why: 'in-use' });
  t.deepEqual(bridgeVerdict({ ...idle, present: undefined, liveUsers: 1 }), { action: 'keep', why: 'in-use' });
  // An interface on it that no nspod pod accounts for (another runtime's, one added by hand).
  t.deepEqual(bridgeVerdict({ ...idle, present: { ifindex: 42, ports: 1 } }), { action: 'keep', why: 'attached' });
  t.deepEqual(bridgeVerdict({ ...idle, idleMs: 5_000 }), { action: 'keep', why: 'recent' });
  t.deepEqual(bridgeVerdict({ ...idle, idleMs: 5_000, minAgeMs: 0 }), { action: 'remove' });
  // Only pods of other (still present) state roots were on it: their gc removes it, not this one's.
  t.deepEqual(bridgeVerdict({ ...idle, ours: false }), { action: 'keep', why: 'other-roots' });
  t.deepEqual(bridgeVerdict({ ...idle, ours: false, present: undefined }), { action: 'keep', why: 'other-roots' });
  // A bridge of the name made after nspod's went (by hand, by another tool): never touched, the record forgotten.
  t.deepEqual(bridgeVerdict({ ...idle, present: { ifindex: 43, ports: 0 } }), { action: 'forget' });
  t.deepEqual(bridgeVerdict({ ...idle, present: { ifindex: 43, ports: 0 }, liveUsers: 2 }), { action: 'forget' });
  // Recorded in another network namespace: its interfaces are not what this one sees.
  t.deepEqual(bridgeVerdict({ ...idle, netns: 8 }), { action: 'keep', why: 'other-netns' });
  t.deepEqual(bridgeVerdict({ ...idle, netns: undefined }), { action: 'keep', why: 'other-netns' });
});

test("a conflist's bridge and lease dir: the bridge plugin's, with host-local's defaults", (t) => {
  const builtIn = defaultConfList({ bridge: 'nspt9', podSubnet: '198.18.0.0/28', ipamDataDir: '/run/nspod-ipam/nspt9_198.18.0.0-28' });
  t.is(bridgeOf(builtIn), 'nspt9');
  t.is(leaseDirOf(builtIn), '/run/nspod-ipam/nspt9_198.18.0.0-28/nspod');
  const bare = { cniVersion: '1.0.0', name: 'n1', plugins: [{ type: 'bridge', ipam: { type: 'host-local' } }] };
  t.is(bridgeOf(bare), 'cni0');
  t.is(leaseDirOf(bare), '/var/lib/cni/networks/n1');
  const other = { cniVersion: '1.0.0', name: 'n2', plugins: [{ type: 'macvlan', master: 'eth0', ipam: { type: 'dhcp' } }] };
  t.is(bridgeOf(other), undefined);
  t.is(leaseDirOf(other), undefined);
  t.is(leaseDirOf({ ...bare, plugins: [{ type: 'bridge', ipam: { type: 'dhcp' } }] }), undefined);
});
