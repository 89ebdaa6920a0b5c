/**
 * One pod's CNI attachment, from intent to release: the intent is on disk
 * before ADD, the pod's netns is pinned (bind mount) so DEL works after the
 * pause died, and everything DEL needs (config, capability args, ADD result,
 * plugin path) is cached with it, as libcni does.
 */
import { closeSync, openSync, statfsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { NspodError, errorMessage } from '../errors.js';
import { currentProcessIdentity, type ProcessIdentity } from '../host/proc.js';
import { bindMountFile, mountPoints } from '../host/mounts.js';
import { readJson, writeJsonAtomic } from '../host/files.js';
import { crashPoint } from '../host/testpoint.js';
import { assertPortsNotTaken } from './taken.js';
import { runProgram } from '../host/program.js';
import type { PodSpec } from '../spec/spec.js';
import {
  cniAdd,
  cniCheck,
  cniDel,
  type CniConfList,
  type CniDns,
  type CniInvocation,
  type CniPortMapping,
  type CniResult,
  type CniRuntimeConfig,
} from './cni.js';
import { resolveConfList, resolveNetworkOptions, type NetworkOptions, type ResolvedNetworkOptions } from './config.js';
import { withDirLock } from '../host/lock.js';
import { describePort, findPortConflict, publishedPorts, validatePodNetwork } from './ports.js';
import { chooseHostPorts, releaseHostPortLeases } from './hostports.js';
import { bridgeExists, guardLocalnet, localnetBridge, unguardLocalnet } from './localnet.js';
import { bridgeOf, joinBridge, leaseDirOf, leaveBridge, recordMadeBridge } from './bridges.js';

const NSFS_MAGIC = 0x6e736673;
export const POD_IFNAME = 'eth0';

/** Everything needed to release an attachment, written before ADD and completed with its result after. */
export interface NetworkAttachment {
  version: 1;
  containerId: string;
  pod: string;
  podUid: string;
  /** The conflist's name (`nspod` for the built-in network). */
  network: string;
  config: CniConfList;
  runtimeConfig: CniRuntimeConfig;
  invocation: CniInvocation;
  cniPath: string[];
  /** The pinned netns (a bind mount of the pause's nsfs file). */
  pin: string;
  /** The process that attached: while it lives, an attachment without a result is still being made. */
  creator: ProcessIdentity;
  createdAt: string;
  /** The ADD result; absent until ADD succeeded. */
  result?: CniResult;
}

export type NetworkMode = 'cni' | 'host' | 'none';

/** What create needs to know before anything is made: the mode, and for CNI the conflist and ports. */
export interface NetworkPlan {
  mode: NetworkMode;
  config?: CniConfList;
  ports: CniPortMapping[];
  options: ResolvedNetworkOptions;
  /** Asked again under the port lock, right before the attachment intent claims the ports. */
  byPods: PortsHeldByPods;
}

export interface PodNetworkStatus {
  mode: NetworkMode;
  /** The CNI container id of the attachment (`<pod>-<uid>`), for CNI pods. */
  containerId?: string | undefined;
  /** The conflist's name, for CNI pods. */
  network?: string | undefined;
  /** The pod's first IPv4 address, without prefix. */
  podIP?: string | undefined;
  ips: { address: string; gateway?: string | undefined; interface?: string | undefined }[];
  interfaces: { name: string; mac?: string | undefined; sandbox?: string | undefined }[];
  routes: { dst: string; gw?: string | undefined }[];
  dns?: CniDns | undefined;
  ports: CniPortMapping[];
}

export function networkMode(spec: PodSpec, defaultNetwork = 'default'): NetworkMode {
  if (spec.hostNetwork) return 'host';
  return (spec.network ?? defaultNetwork) === 'none' ? 'none' : 'cni';
}

/** The CNI container id of a pod: its name and its per-creation uid. */
export function cniContainerId(pod: string, uid: string): string {
  return `${pod}-${uid}`;
}

export function attachmentsDir(root: string): string {
  return path.join(root, 'network', 'attachments');
}

function attachmentFile(root: string, containerId: string): string {
  return path.join(attachmentsDir(root), `${containerId}.json`);
}

async function saveAttachment(root: string, a: NetworkAttachment): Promise<void> {
  await writeJsonAtomic(attachmentFile(root, a.containerId), a, { mkdir: true });
}

/** The hostPorts one pod holds. */
export interface HeldPorts {
  pod: string;
  ports: CniPortMapping[];
}

/**
 * The hostPorts other pods hold, as their records say: the pod layer reads those, network never opens a pod's
 * state. `attachedOnly` leaves out CNI pods still Creating that have no attachment yet: under the port lock, the
 * attachment intent is what claims a port, so of two racing creates the first to write one wins.
 */
export type PortsHeldByPods = (attachedOnly: boolean) => Promise<HeldPorts[]>;

/** hostPorts held under this state root by other pods (their records) and by attachments not yet released. */
async function heldPorts(root: string, exceptPod: string, byPods: PortsHeldByPods, attachedOnly: boolean): Promise<HeldPorts[]> {
  const held = (await byPods(attachedOnly)).filter((h) => h.pod !== exceptPod);
  for (const a of await listAttachments(root)) {
    if (a.pod !== exceptPod) held.push({ pod: a.pod, ports: a.runtimeConfig.portMappings ?? [] });
  }
  return held;
}

/** Every attachment record of the state root (a torn or foreign file is skipped). */
export async function listAttachments(root: string): Promise<NetworkAttachment[]> {
  const dir = attachmentsDir(root);
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
  const out: NetworkAttachment[] = [];
  for (const f of files) {
    const a = await readJson<NetworkAttachment>(path.join(dir, f)).catch(() => undefined);
    if (a) out.push(a);
  }
  return out;
}

function assertPortsFree(ports: CniPortMapping[], held: HeldPorts[]): void {
  const conflict = findPortConflict(ports, held);
  if (conflict) {
    throw new NspodError('INVALID_SPEC', `hostPort ${describePort(conflict.port)} is already published by pod ${conflict.pod}`, {
      hint: `choose another hostPort or remove pod ${conflict.pod}`,
    });
  }
}

/** The root-wide lock taken around "are these hostPorts free?" + "write the attachment intent that claims them". */
export function portLockDir(root: string): string {
  return path.join(root, 'network', 'ports.lock');
}

/**
 * Checks the pod's network before anything is made: the mode, the conflist
 * it names, and that no other pod of the state root holds one of its hostPorts.
 */
export async function planPodNetwork(
  spec: PodSpec,
  root: string,
  options: NetworkOptions = {},
  byPods: PortsHeldByPods = async () => [],
): Promise<NetworkPlan> {
  validatePodNetwork(spec);
  const resolved = resolveNetworkOptions(options);
  const mode = networkMode(spec, resolved.defaultNetwork);
  const ports = mode === 'cni' ? publishedPorts(spec).map(({ container: _c, ...p }) => p) : [];
  if (mode === 'none' && publishedPorts(spec).length > 0)
    throw new NspodError('INVALID_SPEC', 'ports: a pod with network "none" cannot publish hostPorts');
  if (ports.length > 0) assertPortsFree(ports, await heldPorts(root, spec.name, byPods, false));
  // A host process listening there would lose its traffic to the pod (portmap binds nothing): refused before anything is made.
  await assertPortsNotTaken(ports);
  if (mode !== 'cni') return { mode, ports, options: resolved, byPods };
  return { mode, config: await resolveConfList(spec.network ?? resolved.defaultNetwork, resolved), ports, options: resolved, byPods };
}

/** Is `file` a mounted nsfs file (a live pin)? */
export function isPinned(file: string): boolean {
  try {
    return statfsSync(file).type === NSFS_MAGIC;
  } catch {
    return false;
  }
}

/** Bind-mounts a netns file (`/proc/<pid>/ns/net`) onto `pin`, so the namespace outlives its process. */
export async function pinNetns(source: string, pin: string): Promise<void> {
  closeSync(openSync(pin, 'a', 0o444));
  await bindMountFile(source, pin);
}

export async function unpinNetns(pin: string): Promise<void> {
  for (let i = 0; i < 8 && mountPoints().has(pin); i++) {
    await runProgram('umount', [pin]);
  }
  await rm(pin, { force: true });
}

export interface AttachInput {
  root: string;
  pod: string;
  podUid: string;
  /** `/proc/<pausePid>/ns/net`. */
  netnsSource: string;
  /** Where the pin goes (a file in the pod dir). */
  pin: string;
  plan: NetworkPlan;
  /** Registers an undo the moment a step succeeded. */
  onUndo?: (what: string, undo: () => Promise<void>) => void;
}

/** Intent on disk → pin → CNI ADD → attachment with its result on disk. */
export async function attachPodNetwork(input: AttachInput): Promise<NetworkAttachment> {
  const { plan } = input;
  if (plan.mode !== 'cni' || !plan.config) throw new NspodError('INTERNAL', `pod ${input.pod} has no CNI network to attach`);
  const containerId = cniContainerId(input.pod, input.podUid);
  const attachment: NetworkAttachment = {
    version: 1,
    containerId,
    pod: input.pod,
    podUid: input.podUid,
    network: plan.config.name,
    config: plan.config,
    runtimeConfig: plan.ports.length > 0 ? { portMappings: plan.ports } : {},
    invocation: {
      containerId,
      netns: input.pin,
      ifName: POD_IFNAME,
      args: [
        ['K8S_POD_NAMESPACE', 'default'],
        ['K8S_POD_NAME', input.pod],
        ['K8S_POD_INFRA_CONTAINER_ID', containerId],
        ['K8S_POD_UID', input.podUid],
      ],
    },
    cniPath: plan.options.cniPath,
    pin: input.pin,
    creator: currentProcessIdentity(),
    createdAt: new Date().toISOString(),
  };
  // planPodNetwork's check ran before this pod's record existed; a create racing it may have passed the same check.
  // Under the lock, the check again and the intent that claims the ports are one step.
  await mkdir(path.join(input.root, 'network'), { recursive: true, mode: 0o700 });
  // hostPort 0 gets its port here too: chosen, leased host-wide and written in the intent in the same step.
  await withDirLock(portLockDir(input.root), async () => {
    if (plan.ports.length === 0) return await saveAttachment(input.root, attachment);
    const held = await heldPorts(input.root, input.pod, plan.byPods, true);
    assertPortsFree(plan.ports, held);
    const ports = await chooseHostPorts({
      ports: plan.ports,
      held: held.flatMap((h) => h.ports),
      root: input.root,
      containerId,
      range: plan.options.hostPortRange,
    });
    attachment.runtimeConfig = { portMappings: ports };
    try {
      await saveAttachment(input.root, attachment);
    } catch (e) {
      await releaseHostPortLeases(containerId, ports);
      throw e;
    }
  });
  input.onUndo?.('network attachment', () => detachPodNetwork(input.root, containerId).then(() => undefined));
  await pinNetns(input.netnsSource, input.pin);
  // On the bridge's users before ADD (so gc keeps it); a bridge this ADD brings into being is recorded as nspod's.
  const bridge = bridgeOf(attachment.config);
  const leaseDir = leaseDirOf(attachment.config);
  const bridgeMade =
    bridge !== undefined &&
    !(await joinBridge(bridge, { root: input.root, containerId, attachment: attachmentFile(input.root, containerId), leaseDir }));
  // Before ADD (portmap opens the loopback during it), and after it when the bridge was not there (a detach that
  // found it gone meanwhile removed the chain).
  const guarded = localnetBridge(attachment.config);
  const bridgeWasThere = guarded !== undefined && bridgeExists(guarded);
  if (guarded) await guardLocalnet(guarded);
  attachment.result = await cniAdd(attachment.config, attachment.invocation, attachment.runtimeConfig, { cniPath: attachment.cniPath });
  if (guarded && !bridgeWasThere) await guardLocalnet(guarded);
  if (bridgeMade) await recordMadeBridge(bridge, leaseDir);
  crashPoint('after-cni-add');
  await saveAttachment(input.root, attachment);
  return attachment;
}

/**
 * CNI DEL with the cached config, capability args and result, then the pin
 * goes. Idempotent: a second call, or one after the pause died, succeeds.
 * `fallback` is used when the attachment file is already gone (the pod record's copy).
 */
export async function detachPodNetwork(root: string, containerId: string, fallback?: NetworkAttachment): Promise<boolean> {
  const a = (await readJson<NetworkAttachment>(attachmentFile(root, containerId))) ?? fallback;
  if (!a) return false;
  // A DEL with a path that is not a namespace fails; with none, plugins release what they can (IPAM, chains).
  const pinned = isPinned(a.pin);
  const inv = { ...a.invocation, netns: pinned ? a.pin : '' };
  // No cached result (ADD failed midway, or create died before saving it): plugins that key their state by
  // address (firewall's per-pod ACCEPT rules) need one, so it is rebuilt from the netns or the IPAM leases.
  const result = a.result ?? (await recoverResult(a, pinned));
  try {
    await cniDel(a.config, inv, a.runtimeConfig, result, { cniPath: a.cniPath });
  } catch (e) {
    throw new NspodError('NETWORK_FAILED', `releasing the network of pod ${a.pod}: ${errorMessage(e)}`, {
      cause: e,
      hint: 'nspod gc retries the release',
    });
  }
  await unpinNetns(a.pin);
  // The localnet chain lives as long as its bridge: a bridge that is gone takes it along.
  const guarded = localnetBridge(a.config);
  if (guarded && !bridgeExists(guarded)) await unguardLocalnet(guarded);
  await releaseHostPortLeases(a.containerId, a.runtimeConfig.portMappings ?? []);
  await rm(attachmentFile(root, containerId), { force: true });
  // After the attachment file: a marker whose attachment is gone is no user.
  const bridge = bridgeOf(a.config);
  if (bridge) await leaveBridge(bridge, a.containerId);
  return true;
}

/** The IPv4 addresses (CIDR) on `ifName` inside the netns at `netnsPath`; empty when it cannot be read. */
async function netnsAddresses(netnsPath: string, ifName: string): Promise<string[]> {
  const r = await runProgram('nsenter', [`--net=${netnsPath}`, 'ip', '-o', '-4', 'addr', 'show', 'dev', ifName]);
  if (r.exitCode !== 0) return [];
  return [...r.stdout.matchAll(/\binet (\d+\.\d+\.\d+\.\d+\/\d+)/g)].map((m) => m[1]!);
}

/** host-local's lease files (named by address, holding `<containerId>\r\n<ifName>`) that belong to this attachment. */
async function leasedAddresses(a: NetworkAttachment): Promise<string[]> {
  const found: string[] = [];
  for (const plugin of a.config.plugins) {
    const ipam = plugin.ipam as { type?: string; dataDir?: string } | undefined;
    if (ipam?.type !== 'host-local') continue;
    const dir = path.join(ipam.dataDir ?? '/var/lib/cni/networks', a.config.name);
    for (const f of await readdir(dir).catch(() => [] as string[])) {
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(f)) continue;
      const owner = (await readFile(path.join(dir, f), 'utf8').catch(() => '')).split(/\r?\n/);
      if (
        owner[0]?.trim() === a.containerId &&
        (owner[1] === undefined || owner[1].trim() === '' || owner[1].trim() === a.invocation.ifName)
      )
        found.push(`${f}/32`);
    }
  }
  return found;
}

/** A stand-in ADD result for a DEL whose real one was never saved: the pod's addresses, from its netns or else its leases. */
export async function recoverResult(a: NetworkAttachment, pinned = isPinned(a.pin)): Promise<CniResult | undefined> {
  const addresses = pinned ? await netnsAddresses(a.pin, a.invocation.ifName) : [];
  const ips = addresses.length > 0 ? addresses : await leasedAddresses(a);
  if (ips.length === 0) return undefined;
  return {
    cniVersion: a.config.cniVersion,
    interfaces: [{ name: a.invocation.ifName, sandbox: a.pin }],
    ips: ips.map((address) => ({ address, interface: 0 })),
  };
}

/** CNI CHECK of a pod's attachment: throws NETWORK_FAILED when a plugin finds it broken. */
export async function checkPodNetwork(a: NetworkAttachment): Promise<void> {
  if (!a.result) throw new NspodError('NETWORK_FAILED', `pod ${a.pod}: its network attachment has no ADD result`);
  await cniCheck(a.config, a.invocation, a.runtimeConfig, a.result, { cniPath: a.cniPath });
}

/** The pod's first IPv4 address, without its prefix length. */
export function podIPv4(result: CniResult | undefined): string | undefined {
  const ip = (result?.ips ?? []).find((i) => !i.address.includes(':'));
  return ip?.address.split('/')[0];
}

export function networkStatus(mode: NetworkMode, a: NetworkAttachment | undefined): PodNetworkStatus {
  const r = a?.result;
  const interfaces = (r?.interfaces ?? []).map((i) => ({ name: i.name, mac: i.mac, sandbox: i.sandbox }));
  return {
    mode,
    containerId: a?.containerId,
    network: a?.network,
    podIP: podIPv4(r),
    ips: (r?.ips ?? []).map((i) => ({
      address: i.address,
      gateway: i.gateway,
      interface: i.interface === undefined ? undefined : interfaces[i.interface]?.name,
    })),
    interfaces,
    routes: (r?.routes ?? []).map((x) => ({ dst: x.dst, gw: x.gw })),
    dns: r?.dns,
    ports: a?.runtimeConfig.portMappings ?? [],
  };
}

/** /etc/hosts of a pod: the hostname maps to the pod's IP when it has one, else to 127.0.1.1. */
export function hostsFile(hostname: string, podIP?: string): string {
  return `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${podIP ?? '127.0.1.1'}\t${hostname}\n`;
}

/** resolv.conf from a CNI result's DNS, or undefined when it names no nameserver. */
export function resolvConf(dns: CniDns | undefined): string | undefined {
  if (!dns?.nameservers?.length) return undefined;
  const lines = dns.nameservers.map((n) => `nameserver ${n}`);
  const search = [...(dns.domain ? [dns.domain] : []), ...(dns.search ?? [])];
  if (search.length > 0) lines.push(`search ${search.join(' ')}`);
  if (dns.options?.length) lines.push(`options ${dns.options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/** Why an attachment may be released: its pod is gone, stopped, or was left half-made by a crashed create. */
export type OrphanReason = 'pod-gone' | 'pod-stopped' | 'half-made';

export interface ReleasedAttachment {
  containerId: string;
  pod: string;
  reason: OrphanReason;
  /** Set when the release failed; the attachment stays for the next gc. */
  error?: string;
}

/**
 * Releases every attachment `orphan` judges (the pod layer decides from its records): CNI DEL by recorded
 * container id (IPAM lease, veth, per-pod iptables chains), then the pin. Idempotent; returns what it released.
 */
export async function releaseOrphanAttachments(
  root: string,
  orphan: (a: NetworkAttachment) => OrphanReason | undefined | Promise<OrphanReason | undefined>,
): Promise<ReleasedAttachment[]> {
  const released: ReleasedAttachment[] = [];
  for (const a of await listAttachments(root)) {
    const reason = await orphan(a);
    if (!reason) continue;
    const entry: ReleasedAttachment = { containerId: a.containerId, pod: a.pod, reason };
    try {
      await detachPodNetwork(root, a.containerId);
    } catch (e) {
      entry.error = errorMessage(e);
    }
    released.push(entry);
  }
  return released;
}
