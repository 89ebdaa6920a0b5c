/**
 * Bridges nspod made, and who uses them, host-wide as the bridges are: a record per bridge that a pod's CNI ADD
 * brought into being (its ifindex, so a bridge of the same name made later by someone else is never taken for it),
 * and a marker per attachment on it. gc removes a recorded bridge once no marker is live and no interface is left on
 * it, with its lease dir and localnet chain (the gc of a state root whose pods were on it, or any once those roots are
 * gone: one root's gc never takes another's idle bridge from under it); joins and removals take one lock per bridge, so a create never attaches
 * to a bridge being deleted. A bridge nspod did not make is never touched (as the CNI bridge plugin, which never
 * deletes one; podman deletes its network's bridge with the last container, nspod only at gc, after a quiet minute).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { readJson, writeJsonAtomic } from '../host/files.js';
import { withDirLock } from '../host/lock.js';
import { currentProcessIdentity, namespaceInode, type ProcessIdentity } from '../host/proc.js';
import { runProgram } from '../host/program.js';
import { testPoint } from '../host/testpoint.js';
import type { CniConfList } from './cni.js';
import { DEFAULT_IPAM_BASE } from './config.js';
import { unguardLocalnet } from './localnet.js';

/** Beside the host-wide lease dirs: under /run, as the bridges die with a reboot. */
export const DEFAULT_BRIDGE_DIR = path.join(DEFAULT_IPAM_BASE, 'bridges');

/** host-local's default data dir, shared with other CNI runtimes: never removed itself. */
const HOST_LOCAL_DEFAULT_DIR = '/var/lib/cni/networks';

/** A bridge a pod's ADD made. */
export interface BridgeRecord {
  version: 1;
  bridge: string;
  /** Its interface index: a bridge of the name with another index is someone else's. */
  ifindex: number;
  /** Inode of the network namespace it is in (nspod's): gc elsewhere leaves it alone. */
  netns: number;
  createdAt: string;
  /** host-local lease dirs of the networks on it (`<dataDir>/<network>`), removed with it. */
  leaseDirs: string[];
  /** The state roots whose pods were on it: their gc removes it (another root's gc, only once all of these are gone). */
  roots: string[];
}

/** One attachment on a bridge: in use while its attachment file exists (written before the marker, removed before it). */
export interface BridgeUser {
  root: string;
  attachment: string;
  creator: ProcessIdentity;
}

export function bridgeRecordFile(bridge: string, dir = DEFAULT_BRIDGE_DIR): string {
  return path.join(dir, `${bridge}.json`);
}

export function bridgeUsersDir(bridge: string, dir = DEFAULT_BRIDGE_DIR): string {
  return path.join(dir, `${bridge}.users`);
}

function bridgeLock(bridge: string, dir: string): string {
  return path.join(dir, `${bridge}.lock`);
}

/** The bridge a conflist's bridge plugin attaches pods to (the plugin's default `cni0`), or undefined when it has none. */
export function bridgeOf(config: CniConfList): string | undefined {
  const plugin = config.plugins.find((p) => p.type === 'bridge') as { bridge?: string } | undefined;
  return plugin ? (plugin.bridge ?? 'cni0') : undefined;
}

/** host-local's lease dir of the conflist's bridge plugin, or undefined when its IPAM is another. */
export function leaseDirOf(config: CniConfList): string | undefined {
  const plugin = config.plugins.find((p) => p.type === 'bridge');
  const ipam = plugin?.ipam as { type?: string; dataDir?: string } | undefined;
  if (ipam?.type !== 'host-local') return undefined;
  return path.join(ipam.dataDir ?? HOST_LOCAL_DEFAULT_DIR, config.name);
}

/** The bridge as it is now in this netns (sysfs: no spawn), or undefined when there is no bridge of the name. */
export function bridgeNow(bridge: string): { ifindex: number; ports: number } | undefined {
  const sys = `/sys/class/net/${bridge}`;
  try {
    if (!existsSync(`${sys}/bridge`)) return undefined;
    return { ifindex: Number(readFileSync(`${sys}/ifindex`, 'utf8').trim()), ports: readdirSync(`${sys}/brif`).length };
  } catch {
    return undefined;
  }
}

function currentNetns(): number | undefined {
  return namespaceInode('/proc/self/ns/net');
}

/**
 * Registers an attachment on the bridge, before its ADD: under the bridge's lock, so that a gc deciding meanwhile
 * sees it. Returns whether the bridge was there (when not, this ADD makes it: recordMadeBridge after).
 */
export async function joinBridge(
  bridge: string,
  user: { root: string; containerId: string; attachment: string; leaseDir: string | undefined },
  dir = DEFAULT_BRIDGE_DIR,
): Promise<boolean> {
  await mkdir(bridgeUsersDir(bridge, dir), { recursive: true, mode: 0o700 });
  await testPoint('bridge-join');
  return await withDirLock(bridgeLock(bridge, dir), async () => {
    const marker: BridgeUser = { root: user.root, attachment: user.attachment, creator: currentProcessIdentity() };
    await writeJsonAtomic(path.join(bridgeUsersDir(bridge, dir), `${user.containerId}.json`), marker, { mkdir: true });
    const record = await readJson<BridgeRecord>(bridgeRecordFile(bridge, dir)).catch(() => undefined);
    if (record) await saveRecord(bridge, dir, record, user.leaseDir ? [user.leaseDir] : [], [user.root]);
    return bridgeNow(bridge) !== undefined;
  });
}

/** The record with these lease dirs and roots added (written only when it changes). */
async function saveRecord(bridge: string, dir: string, record: BridgeRecord, leaseDirs: string[], roots: string[]): Promise<void> {
  const next = {
    ...record,
    leaseDirs: [...new Set([...record.leaseDirs, ...leaseDirs])],
    roots: [...new Set([...(record.roots ?? []), ...roots])],
  };
  if (next.leaseDirs.length === record.leaseDirs.length && next.roots.length === (record.roots ?? []).length) return;
  await writeJsonAtomic(bridgeRecordFile(bridge, dir), next);
}

async function markers(bridge: string, dir: string): Promise<(BridgeUser | undefined)[]> {
  const users = bridgeUsersDir(bridge, dir);
  const files = (await readdir(users).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
  return await Promise.all(files.map((f) => readJson<BridgeUser>(path.join(users, f)).catch(() => undefined)));
}

/** After an ADD that found no bridge: the bridge there now is nspod's (kept when another create recorded it already). */
export async function recordMadeBridge(bridge: string, leaseDir: string | undefined, dir = DEFAULT_BRIDGE_DIR): Promise<void> {
  const now = bridgeNow(bridge);
  const netns = currentNetns();
  if (!now || netns === undefined) return;
  await withDirLock(bridgeLock(bridge, dir), async () => {
    const old = await readJson<BridgeRecord>(bridgeRecordFile(bridge, dir)).catch(() => undefined);
    const same = old !== undefined && old.ifindex === now.ifindex && old.netns === netns;
    const fresh: BridgeRecord = {
      version: 1,
      bridge,
      ifindex: now.ifindex,
      netns,
      createdAt: new Date().toISOString(),
      leaseDirs: [],
      roots: [],
    };
    // Every attachment on it now (this one, and creates that joined before it was recorded) names its root.
    const roots = (await markers(bridge, dir)).flatMap((u) => (u ? [u.root] : []));
    if (!same) await writeJsonAtomic(bridgeRecordFile(bridge, dir), fresh);
    await saveRecord(bridge, dir, same ? old : fresh, leaseDir ? [leaseDir] : [], roots);
  });
}

/** After the attachment's release: its marker goes (no lock: a marker less only ever lets gc do more). */
export async function leaveBridge(bridge: string, containerId: string, dir = DEFAULT_BRIDGE_DIR): Promise<void> {
  await rm(path.join(bridgeUsersDir(bridge, dir), `${containerId}.json`), { force: true });
}

export interface BridgeFacts {
  record: BridgeRecord;
  /** The bridge of the name now, or undefined when there is none. */
  present: { ifindex: number; ports: number } | undefined;
  netns: number | undefined;
  liveUsers: number;
  /** Since an attachment last joined or left it. */
  idleMs: number;
  /** The gc's state root is one of record.roots, or none of those is there any more. */
  ours: boolean;
  minAgeMs: number;
}

export type BridgeVerdict =
  | { action: 'keep'; why: 'other-netns' | 'in-use' | 'attached' | 'recent' | 'other-roots' }
  /** The record only: the bridge of the name is another's (made after nspod's went). */
  | { action: 'forget' }
  /** The bridge (when still there), its lease dirs, its localnet chain, its record. */
  | { action: 'remove' };

/** What gc does with a recorded bridge: removes it only when nspod made this very bridge and nothing uses it. */
export function bridgeVerdict(f: BridgeFacts): BridgeVerdict {
  if (f.netns === undefined || f.record.netns !== f.netns) return { action: 'keep', why: 'other-netns' };
  if (f.present && f.present.ifindex !== f.record.ifindex) return { action: 'forget' };
  if (f.liveUsers > 0) return { action: 'keep', why: 'in-use' };
  if (!f.ours) return { action: 'keep', why: 'other-roots' };
  if (!f.present) return { action: 'remove' };
  if (f.present.ports > 0) return { action: 'keep', why: 'attached' };
  if (f.idleMs < f.minAgeMs) return { action: 'keep', why: 'recent' };
  return { action: 'remove' };
}

async function liveUsers(bridge: string, dir: string): Promise<number> {
  // A torn marker counts: never guess.
  return (await markers(bridge, dir)).filter((u) => !u || existsSync(u.attachment)).length;
}

/** A lease dir with no address leased in it (only host-local's lock and last-reserved files) goes, and its data dir when empty. */
async function removeLeaseDir(leaseDir: string): Promise<boolean> {
  const entries = await readdir(leaseDir).catch(() => undefined);
  if (!entries) return false;
  if (entries.some((e) => !/^(lock|last_reserved_ip\.\d+)$/.test(e))) return false;
  await rm(leaseDir, { recursive: true, force: true });
  const dataDir = path.dirname(leaseDir);
  if (dataDir !== HOST_LOCAL_DEFAULT_DIR) await rmdir(dataDir).catch(() => undefined);
  return true;
}

export interface CollectedBridge {
  bridge: string;
  /** The bridge link was deleted (false: it was gone already). */
  deleted: boolean;
  leaseDirs: string[];
  /** Set when deleting it failed; it stays for the next gc. */
  error?: string;
}

/**
 * Removes every bridge nspod made that nothing uses and pods of `root` were on (bridgeVerdict), each under its lock,
 * with its lease dirs, its localnet chain and its record; forgets records of bridges replaced by another's. Idle for
 * less than `minAgeMs` it stays (a pod removed and run again keeps its bridge and chain).
 */
export async function collectBridges(options: { root: string; minAgeMs: number; dir?: string | undefined }): Promise<CollectedBridge[]> {
  const dir = options.dir ?? DEFAULT_BRIDGE_DIR;
  const out: CollectedBridge[] = [];
  const verdictOf = async (bridge: string, record: BridgeRecord): Promise<BridgeVerdict> => {
    let changed: number;
    try {
      changed = statSync(bridgeUsersDir(bridge, dir)).mtimeMs;
    } catch {
      changed = Date.parse(record.createdAt) || 0;
    }
    return bridgeVerdict({
      record,
      present: bridgeNow(bridge),
      netns: currentNetns(),
      liveUsers: await liveUsers(bridge, dir),
      idleMs: Date.now() - changed,
      minAgeMs: options.minAgeMs,
      ours: (record.roots ?? []).includes(options.root) || (record.roots ?? []).every((r) => !existsSync(r)),
    });
  };
  for (const file of (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json'))) {
    const bridge = file.slice(0, -'.json'.length);
    const seen = await readJson<BridgeRecord>(bridgeRecordFile(bridge, dir)).catch(() => undefined);
    // Asked first without the lock: a bridge in use costs no lock per gc.
    if (!seen || (await verdictOf(bridge, seen)).action === 'keep') continue;
    await withDirLock(bridgeLock(bridge, dir), async () => {
      const record = await readJson<BridgeRecord>(bridgeRecordFile(bridge, dir)).catch(() => undefined);
      if (!record) return;
      const verdict = await verdictOf(bridge, record);
      if (verdict.action === 'keep') return;
      if (verdict.action === 'forget') return await rm(bridgeRecordFile(bridge, dir), { force: true });
      const entry: CollectedBridge = { bridge, deleted: false, leaseDirs: [] };
      await testPoint(`bridge-gc-decided-${bridge}`); // per bridge: a test parks gc on its own bridge only
      if (bridgeNow(bridge)) {
        const r = await runProgram('ip', ['link', 'delete', 'dev', bridge]);
        if (!r.ok) {
          out.push({ ...entry, error: `ip link delete ${bridge}: ${r.stderr.trim() || r.message}` });
          return;
        }
        entry.deleted = true;
      }
      await unguardLocalnet(bridge);
      for (const leaseDir of record.leaseDirs) {
        try {
          if (await removeLeaseDir(leaseDir)) entry.leaseDirs.push(leaseDir);
        } catch (e) {
          entry.error ??= `lease dir ${leaseDir}: ${errorMessage(e)}`;
        }
      }
      await rm(bridgeUsersDir(bridge, dir), { recursive: true, force: true });
      await rm(bridgeRecordFile(bridge, dir), { force: true });
      if (entry.deleted || entry.leaseDirs.length > 0 || entry.error) out.push(entry);
    });
  }
  // The users dirs of bridges nspod did not make, once no attachment is on them (a join makes its dir again).
  for (const users of (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.users'))) {
    const bridge = users.slice(0, -'.users'.length);
    if (existsSync(bridgeRecordFile(bridge, dir)) || (await readdir(path.join(dir, users)).catch(() => ['?'])).length > 0) continue;
    await withDirLock(bridgeLock(bridge, dir), async () => {
      if (!existsSync(bridgeRecordFile(bridge, dir))) await rmdir(path.join(dir, users)).catch(() => undefined);
    });
  }
  return out;
}
