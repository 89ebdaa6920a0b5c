/**
 * Who uses which part of 198.18.0.0/24 and 198.18.2.0/24 (slots 0-15 in the first, from 16 on in the second:
 * 198.18.1.0/24 is kept for host addresses tests add to an interface of their own). Tests of one file run side by side
 * (and files run in parallel), so every test that makes a bridge owns a
 * bridge name and a subnet no other test or bench touches. The unit is a /28
 * slot: slot k is 198.18.0.<16k>/28 on bridge nspt<k>; a user may take
 * several adjacent slots (an aligned block) when it needs more than the 13
 * pod addresses a /28 gives (host-local keeps .0, the gateway .1 and the broadcast).
 *
 * | slots | subnet            | bridge | user                                                   |
 * |-------|-------------------|--------|--------------------------------------------------------|
 * | 0     | 198.18.0.0/28     | nspt0  | network-pod: pod-to-pod                                |
 * | 1     | 198.18.0.16/28    | nspt1  | testing: random hostPorts, owner-exits (serial tests)  |
 * | -     | (none)            | nsptx  | network-pod: hostNetwork / none (makes no bridge, leases nothing) |
 * | 2     | 198.18.0.32/28    | nspt2  | network-pod: named network from the config dir         |
 * | 3     | 198.18.0.48/28    | nspt3  | network-ports: hostPorts answer                        |
 * | 4     | 198.18.0.64/28    | nspt4  | network-ports: hostPort conflict                       |
 * | 5     | 198.18.0.80/28    | nspt5  | network-gc: kill -9 of the pause                       |
 * | 6     | 198.18.0.96/28    | nspt6  | network-gc: crash between ADD and the end of create    |
 * | 7     | 198.18.0.112/28   | nspt7  | network-gc: gc keeps a live pod                        |
 * | 8-9   | 198.18.0.128/27   | nspt8  | network-scale: 20 pods at once                         |
 * | 10    | 198.18.0.160/28   | nspt10 | gc.test: kill -9 of nspod run                          |
 * | 11    | 198.18.0.176/28   | nspt11 | cli-more.test: run -p                                  |
 * | 12    | 198.18.0.192/28   | nspt12 | network-firewall (its own netns; the slot keeps it apart anyway) |
 * | 13    | 198.18.0.208/28   | nspt13 | network-ipam: two state roots on one network           |
 * | 14    | 198.18.0.224/28   | nspt14 | network-ports: two creates race for one hostPort       |
 * | 15    | 198.18.0.240/29   | nspb0  | scripts/bench-network.mjs (its own constants; one pod at a time) |
 * | 15    | 198.18.0.248/29   | nspc0  | chaos.test: the chaos bench's short run (one pod at a time) |
 * | 16    | 198.18.2.0/28     | nspt16 | restart-all: the pod IP across an in-place restart     |
 * | 17    | 198.18.2.16/28    | nspt17 | network-gc: gc removes the bridge nspod made (lease dir host-wide, its own name) |
 * | 18    | 198.18.2.32/28    | nspt18 | network-gc: gc never removes a bridge made by hand     |
 * | 19    | 198.18.2.48/28    | nspt19 | network-gc: a create waits for the bridge gc deleting its bridge |
 * | 31    | 198.18.2.240/28   | nspc1  | npm run chaos (scripts/chaos.ts; may run beside the suite) |
 */
export const NET_SLOTS = {
  podToPod: { first: 0, count: 1 },
  testing: { first: 1, count: 1 },
  namedNetwork: { first: 2, count: 1 },
  portsAnswer: { first: 3, count: 1 },
  portsConflict: { first: 4, count: 1 },
  gcKillPause: { first: 5, count: 1 },
  gcCrash: { first: 6, count: 1 },
  gcLive: { first: 7, count: 1 },
  scale: { first: 8, count: 2 },
  gcCli: { first: 10, count: 1 },
  cliPublish: { first: 11, count: 1 },
  firewall: { first: 12, count: 1 },
  ipamShared: { first: 13, count: 1 },
  portsRace: { first: 14, count: 1 },
  bench: { first: 15, count: 1 },
  chaos: { first: 15, count: 1 },
  restartAll: { first: 16, count: 1 },
  bridgeGc: { first: 17, count: 1 },
  bridgeByHand: { first: 18, count: 1 },
  bridgeRace: { first: 19, count: 1 },
} as const satisfies Record<string, { first: number; count: 1 | 2 | 4 | 8 | 16 }>;

/** A test whose pods make no bridge and lease no address (hostNetwork, none): a root of its own, no slot. */
export const NO_BRIDGE = { bridge: 'nsptx', podSubnet: '198.18.0.0/30' };

export type NetSlotName = keyof typeof NET_SLOTS | 'hostAndNone';

/** The bench keeps its own constants (scripts/bench-network.mjs); the table only reserves its slot: the lower half of slot 15. */
export const BENCH_NET = { bridge: 'nspb0', podSubnet: '198.18.0.240/29' };

/** The chaos bench (scripts/chaos.ts): the upper half of slot 15, five pod addresses for its one pod at a time. */
export interface ChaosNet {
  bridge: string;
  podSubnet: string;
}
/** The chaos bench's short run in the suite. */
export const CHAOS_NET: ChaosNet = { bridge: 'nspc0', podSubnet: '198.18.0.248/29' };
/** `npm run chaos`: a bridge and subnet of its own, so that it can run while the suite (and its chaos.test) runs. */
export const CHAOS_BENCH_NET: ChaosNet = { bridge: 'nspc1', podSubnet: '198.18.2.240/28' };

/** The bridge and subnet of a slot block: bridge nspt<first>, subnet 198.18.0.<16·first>/<28 - log2(count)>. */
export function slotNetwork(name: NetSlotName): { bridge: string; podSubnet: string } {
  if (name === 'bench') return BENCH_NET;
  if (name === 'chaos') return CHAOS_NET;
  if (name === 'hostAndNone') return NO_BRIDGE;
  const { first, count } = NET_SLOTS[name];
  return { bridge: `nspt${first}`, podSubnet: `198.18.${first < 16 ? 0 : 2}.${16 * (first % 16)}/${28 - Math.log2(count)}` };
}
