/** Shared by the network integration tests: a bridge and subnet slice per test, leak snapshots, bounded HTTP. */
import { createHash } from 'node:crypto';
import { readdir, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { ExecutionContext } from 'ava';
import { Pod } from '../../src/pod/pod.js';
import { gcNetworks } from '../../src/pod/gc.js';
import { mountsUnder } from '../../src/host/mounts.js';
import { unguardLocalnet } from '../../src/network/localnet.js';
import { bridgeRecordFile, bridgeUsersDir } from '../../src/network/bridges.js';
import { eventually, forceClean, giveDataRoot, runtimeContainers, RUNTIME } from './host.js';
import { slotNetwork, type NetSlotName } from './net-slots.js';

export { NET_SLOTS, slotNetwork, type NetSlotName } from './net-slots.js';

export interface NetTestEnv {
  root: string;
  bridge: string;
  /** The test's slot of 198.18.0.0/24 (test/helpers/net-slots.ts): tests running side by side never share a bridge, a subnet or a lease dir. */
  podSubnet: string;
  /** host-local's lease dir: the test's own, under its state root (not the host-wide default). */
  ipamDataDir: string;
  options: { root: string; bridge: string; podSubnet: string; ipamDataDir: string; defaultNetwork: string };
}

/**
 * The slot's bridge and subnet (see the table in test/helpers/net-slots.ts), a fresh
 * state root with its own lease dir. Teardown, pass or fail: remove every
 * pod, gc, force-clean the root, delete the bridge (and its localnet chain and nspod's record of it).
 */
export async function netTestEnv(t: ExecutionContext, slot: NetSlotName): Promise<NetTestEnv> {
  const root = await mkdtemp(path.join(os.tmpdir(), `nspod-net-${slot}-`));
  const { bridge, podSubnet } = slotNetwork(slot);
  const ipamDataDir = path.join(root, 'network', 'ipam');
  await giveDataRoot(root);
  t.teardown(async () => {
    for (const name of await Pod.list({ root })) {
      await (await Pod.load(name, { root })).remove({ gracePeriodSeconds: 0 }).catch(() => undefined);
    }
    await gcNetworks({ root }).catch(() => undefined);
    await forceClean(root);
    await execa('ip', ['link', 'del', bridge], { reject: false });
    await unguardLocalnet(bridge); // the localnet chain lives as long as its bridge
    // nspod's host-wide record of the bridge it made (gc would forget it, the bridge being gone).
    await rm(bridgeRecordFile(bridge), { force: true });
    await rm(bridgeUsersDir(bridge), { recursive: true, force: true });
  });
  // defaultNetwork is explicit so that an NSPOD_NETWORK in the environment cannot change what is tested.
  return { root, bridge, podSubnet, ipamDataDir, options: { root, bridge, podSubnet, ipamDataDir, defaultNetwork: 'default' } };
}

/** The per-container iptables chain names the bridge (ipMasq) and portmap plugins derive from network name + container id. */
export function cniChainNames(network: string, containerId: string): string[] {
  const hash = createHash('sha512')
    .update(network + containerId)
    .digest('hex');
  return [`CNI-${hash}`.slice(0, 28), `CNI-DN-${hash}`.slice(0, 28)];
}

/** Lines of `iptables-save` that belong to these attachments (by container id, per-pod chain or pod IP). */
export async function iptablesLinesOf(network: string, containerIds: string[], podIPs: string[]): Promise<string[]> {
  const { stdout } = await execa('iptables-save');
  const needles = [...containerIds, ...containerIds.flatMap((id) => cniChainNames(network, id)), ...podIPs.map((ip) => `${ip}/32`)];
  return stdout.split('\n').filter((l) => needles.some((n) => l.includes(n)));
}

/** Interfaces enslaved to the bridge (the host ends of pod veths). */
export async function bridgePorts(bridge: string): Promise<string[]> {
  const { stdout } = await execa('ip', ['-o', 'link', 'show', 'master', bridge], { reject: false });
  return stdout.split('\n').filter(Boolean);
}

/** host-local lease files (one per address) under the state root's lease dir (or `ipamDataDir`, when given). */
export async function leaseFiles(root: string, network = 'nspod', ipamDataDir = path.join(root, 'network', 'ipam')): Promise<string[]> {
  const dir = path.join(ipamDataDir, network);
  return (await readdir(dir).catch(() => [] as string[])).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
}

export async function attachmentFiles(root: string): Promise<string[]> {
  return await readdir(path.join(root, 'network', 'attachments')).catch(() => [] as string[]);
}

/** Everything a pod attachment could leave behind, in one object for a deepEqual against the empty state. */
export async function networkLeftovers(env: NetTestEnv, containerIds: string[], podIPs: string[]) {
  return {
    veths: await bridgePorts(env.bridge),
    leases: await leaseFiles(env.root),
    chains: await iptablesLinesOf('nspod', containerIds, podIPs),
    attachments: await attachmentFiles(env.root),
    mounts: mountsUnder(env.root),
    containers: await runtimeContainers(path.join(env.root, 'runtime', RUNTIME)),
  };
}

export const NO_LEFTOVERS = { veths: [], leases: [], chains: [], attachments: [], mounts: [], containers: [] };

/** One bounded GET (no keep-alive); resolves the body or rejects. */
export function httpGet(url: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

/** GETs until it answers (a server just started), for about `attempts` × 100 ms (scaled by TIME_FACTOR); bounded in count by the poller. */
export async function httpGetEventually(url: string, attempts = 40): Promise<string> {
  let last: unknown;
  try {
    return await eventually(
      async () => {
        try {
          return await httpGet(url, 1000);
        } catch (e) {
          last = e;
          await new Promise((r) => setTimeout(r, 100));
          return undefined;
        }
      },
      attempts * 100,
      `GET ${url}`,
    );
  } catch (e) {
    throw last ?? e;
  }
}

/** A busybox container serving `hello from <hostname>` on port 80. */
export function webContainer(
  name = 'web',
  ports: { containerPort: number; hostPort?: number; protocol?: 'TCP' | 'UDP'; hostIP?: string }[] = [],
) {
  return {
    name,
    image: 'busybox',
    command: ['sh', '-c', 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www'],
    ports,
  };
}
