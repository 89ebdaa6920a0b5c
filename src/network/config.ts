/** Which network a pod gets: options with env fallbacks, the built-in `nspod` network, conflists from a config dir. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { NspodError } from '../errors.js';
import { CNI_VERSION, type CniConfList, type CniPluginConf } from './cni.js';

export const DEFAULT_NETWORK_NAME = 'nspod';
export const DEFAULT_BRIDGE = 'nspod0';
export const DEFAULT_POD_SUBNET = '10.89.0.0/16';
export const DEFAULT_CNI_PATH = ['/usr/lib/cni', '/opt/cni/bin'];
export const DEFAULT_CNI_CONF_DIR = '/etc/cni/net.d';
/**
 * Host-wide, like the bridge and subnet it serves: two state roots on one
 * network must share one lease store or they hand out the same address.
 * Under /run because the bridge and every pod netns die with a reboot, and so must their leases.
 */
export const DEFAULT_IPAM_BASE = '/run/nspod-ipam';

export interface NetworkOptions {
  /** Directories of CNI plugin binaries; default env CNI_PATH (':'-separated), else /usr/lib/cni then /opt/cni/bin. */
  cniPath?: string | string[] | undefined;
  /** Directory of CNI conflists a pod may name; default env NSPOD_CNI_CONF_DIR, else /etc/cni/net.d. */
  cniConfDir?: string | undefined;
  /** Subnet of the built-in network; default env NSPOD_POD_SUBNET, else 10.89.0.0/16. */
  podSubnet?: string | undefined;
  /** Bridge of the built-in network; default env NSPOD_BRIDGE, else nspod0. */
  bridge?: string | undefined;
  /** host-local's lease dir for the built-in network; default env NSPOD_IPAM_DIR, else host-wide /run/nspod-ipam/<bridge>_<subnet> (see defaultIpamDataDir). */
  ipamDataDir?: string | undefined;
  /** The network of a pod whose spec names none; default env NSPOD_NETWORK, else `default`. */
  defaultNetwork?: string | undefined;
  /** Where hostPort 0 takes its port from, `FROM-TO`; default env NSPOD_HOST_PORT_RANGE, else the kernel's ephemeral range (ip_local_port_range). */
  hostPortRange?: string | undefined;
}

export interface ResolvedNetworkOptions {
  cniPath: string[];
  cniConfDir: string;
  podSubnet: string;
  bridge: string;
  ipamDataDir: string;
  defaultNetwork: string;
  hostPortRange: string | undefined;
}

/**
 * The lease dir of the built-in network when none is set: one per bridge and
 * subnet, shared by every state root, so the same network never hands out an address twice.
 */
export function defaultIpamDataDir(bridge: string, podSubnet: string, base = DEFAULT_IPAM_BASE): string {
  return path.join(base, `${bridge}_${podSubnet.replace('/', '-')}`);
}

/** The network options with their env fallbacks and defaults: the one place they are resolved. */
export function resolveNetworkOptions(options: NetworkOptions = {}): ResolvedNetworkOptions {
  const cniPath = options.cniPath ?? process.env.CNI_PATH?.split(':').filter(Boolean) ?? DEFAULT_CNI_PATH;
  const podSubnet = options.podSubnet ?? process.env.NSPOD_POD_SUBNET ?? DEFAULT_POD_SUBNET;
  const bridge = options.bridge ?? process.env.NSPOD_BRIDGE ?? DEFAULT_BRIDGE;
  return {
    cniPath: typeof cniPath === 'string' ? cniPath.split(':').filter(Boolean) : cniPath,
    cniConfDir: options.cniConfDir ?? process.env.NSPOD_CNI_CONF_DIR ?? DEFAULT_CNI_CONF_DIR,
    podSubnet,
    bridge,
    ipamDataDir: options.ipamDataDir ?? process.env.NSPOD_IPAM_DIR ?? defaultIpamDataDir(bridge, podSubnet),
    defaultNetwork: options.defaultNetwork ?? process.env.NSPOD_NETWORK ?? 'default',
    hostPortRange: options.hostPortRange ?? process.env.NSPOD_HOST_PORT_RANGE,
  };
}

/** `a.b.c.d/n` with a sane prefix, or a one-line reason why not. */
export function ipv4CidrProblem(cidr: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) return 'must be an IPv4 subnet like 10.89.0.0/16';
  if (m.slice(1, 5).some((o) => Number(o) > 255)) return 'has an octet above 255';
  const prefix = Number(m[5]);
  if (prefix < 8 || prefix > 30) return 'needs a prefix length between 8 and 30';
  return undefined;
}

/** Linux interface names: at most 15 bytes, no '/', ':' or whitespace. */
export function interfaceNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > 15) return 'must be 1-15 characters';
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) return 'may hold only letters, digits, _ . -';
  return undefined;
}

/**
 * The built-in network: a bridge that is the pods' gateway and default route,
 * masquerade for traffic leaving the subnet, host-local IPAM, portmap
 * (with SNAT, so hostPorts answer on 127.0.0.1 too), and firewall: per-pod
 * ACCEPT rules in CNI-FORWARD, so pods reach each other and the world on
 * hosts whose FORWARD policy is DROP (Docker sets it, and br_netfilter sends
 * bridged traffic through FORWARD). Last, so it gets the final addresses; DEL runs it first.
 */
export function defaultConfList(o: Pick<ResolvedNetworkOptions, 'bridge' | 'podSubnet' | 'ipamDataDir'>): CniConfList {
  const subnetProblem = ipv4CidrProblem(o.podSubnet);
  if (subnetProblem)
    throw new NspodError('INVALID_SPEC', `pod subnet ${JSON.stringify(o.podSubnet)} ${subnetProblem}`, {
      hint: 'set the podSubnet option or NSPOD_POD_SUBNET',
    });
  const bridgeProblem = interfaceNameProblem(o.bridge);
  if (bridgeProblem)
    throw new NspodError('INVALID_SPEC', `bridge name ${JSON.stringify(o.bridge)} ${bridgeProblem}`, {
      hint: 'set the bridge option or NSPOD_BRIDGE',
    });
  return {
    cniVersion: CNI_VERSION,
    name: DEFAULT_NETWORK_NAME,
    plugins: [
      {
        type: 'bridge',
        bridge: o.bridge,
        isGateway: true,
        isDefaultGateway: true,
        ipMasq: true,
        hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: o.podSubnet }]], dataDir: o.ipamDataDir },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
      { type: 'firewall' },
    ],
  };
}

/** A conflist (or a single-plugin .conf, wrapped into a list) checked for the fields a runtime needs. */
export function parseConfList(text: string, file: string): CniConfList {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new NspodError('INVALID_SPEC', `CNI config ${file}: not JSON (${(e as Error).message})`);
  }
  const bad = (why: string): never => {
    throw new NspodError('INVALID_SPEC', `CNI config ${file}: ${why}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('must be a JSON object');
  const obj = raw as Record<string, unknown>;
  if (typeof obj.name !== 'string' || obj.name.length === 0) bad('needs a "name"');
  if (typeof obj.cniVersion !== 'string') bad('needs a "cniVersion"');
  let plugins: unknown = obj.plugins;
  if (plugins === undefined && typeof obj.type === 'string') {
    const { cniVersion: _v, name: _n, ...plugin } = obj;
    plugins = [plugin];
  }
  if (!Array.isArray(plugins) || plugins.length === 0) bad('needs a non-empty "plugins" list');
  for (const [i, p] of (plugins as unknown[]).entries()) {
    if (typeof p !== 'object' || p === null || typeof (p as CniPluginConf).type !== 'string') bad(`plugins[${i}] needs a "type"`);
  }
  return {
    cniVersion: obj.cniVersion as string,
    name: obj.name as string,
    ...(obj.disableCheck === true ? { disableCheck: true } : {}),
    plugins: plugins as CniPluginConf[],
  };
}

/** Every conflist in the config dir, by name (first file in name order wins, as libcni does). */
export async function loadConfLists(dir: string): Promise<Map<string, { file: string; list: CniConfList }>> {
  const found = new Map<string, { file: string; list: CniConfList }>();
  let entries: string[];
  try {
    entries = (await readdir(dir)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return found;
    throw e;
  }
  for (const entry of entries) {
    if (!/\.(conflist|conf|json)$/.test(entry)) continue;
    const file = path.join(dir, entry);
    const list = parseConfList(await readFile(file, 'utf8'), file);
    if (!found.has(list.name)) found.set(list.name, { file, list });
  }
  return found;
}

/** The conflist a pod's network name stands for; `nspod` in the config dir replaces the built-in one. */
export async function resolveConfList(network: string, o: ResolvedNetworkOptions): Promise<CniConfList> {
  const lists = await loadConfLists(o.cniConfDir);
  const name = network === 'default' ? DEFAULT_NETWORK_NAME : network;
  const found = lists.get(name);
  if (found) return found.list;
  if (name === DEFAULT_NETWORK_NAME) return defaultConfList(o);
  throw new NspodError('INVALID_SPEC', `network: no CNI network named ${JSON.stringify(network)} in ${o.cniConfDir}`, {
    hint: `known: default, none${[...lists.keys()].map((n) => `, ${n}`).join('')}; set cniConfDir or NSPOD_CNI_CONF_DIR`,
  });
}
