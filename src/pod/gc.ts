/**
 * Garbage collection of what crashed creates, hand-deleted pod dirs and
 * interrupted stops leave behind under a state root: runtime containers,
 * mounts, CNI attachments, probers, cgroups and state dirs. Idempotent: it
 * removes only what belongs to no live pod, and reports each thing removed.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { podCgroupName, SUPERVISORS_CGROUP } from '../oci/common.js';
import { Runtime } from '../runtime/runtime.js';
import type { RuntimeState } from '../oci/spec.js';
import {
  cniContainerId,
  detachPodNetwork,
  releaseOrphanAttachments,
  type NetworkAttachment,
  type OrphanReason,
  type ReleasedAttachment,
} from '../network/attachment.js';
import { collectBridges, type CollectedBridge } from '../network/bridges.js';
import { probersOf, stopProber } from '../probe/prober.js';
import { isProcessAlive } from '../host/proc.js';
import { mountsUnder, unmountAll } from '../host/mounts.js';
import { cgroupMounts, removeCgroupTree } from '../host/cgroups.js';
import { DEFAULT_DATA_ROOT, recordedDataRoot, resolveDataRoot, resolveStateRoot } from '../paths.js';
import { StateRoot, type PodRecord } from './store.js';
import { Pod } from './pod.js';
import { readJson } from '../host/files.js';
import { keepsStateDir, settle } from './steps.js';

export interface PodGcOptions {
  /** State root; default env NSPOD_ROOT, else /run/nspod. */
  root?: string | undefined;
  /** Data root searched for data dirs of pods that are gone (as PodOptions.dataRoot); the one the state root names is searched too. */
  dataRoot?: string | undefined;
  /** `runc`, `crun` or a path: the binary used for runtime dirs of that name (default: the dir's name). */
  runtime?: string | undefined;
  /**
   * A cgroup or a pod dir without pod.json younger than this may be a pod
   * being created right now (under this or another state root); default 60 s.
   */
  minAgeMs?: number | undefined;
}

/**
 * half-made: its creator died while it was Creating, or its create failed and could not undo it all;
 * unrecorded: a pod dir without pod.json (an older nspod's crash right after its claim, or made by hand): no pod;
 * stopper-gone: a stop or removal whose stopper died (nspod gc finishes it);
 * trash: a removed pod dir its remover did not delete; creator-gone: a claim its creator did not place;
 * unused: a bridge nspod made that no pod of any state root uses any more (and its lease dir).
 */
export type PodGcReason =
  | 'half-made'
  | 'pod-gone'
  | 'pod-stopped'
  | 'unrecorded'
  | 'stopper-gone'
  | 'trash'
  | 'creator-gone'
  | 'owner-gone'
  | 'prober-lost'
  | 'shim-lost'
  | 'unused';

export interface PodGcEntry {
  kind:
    | 'container'
    | 'mount'
    | 'network'
    | 'prober'
    | 'cgroup'
    | 'state-dir'
    | 'data-dir'
    | 'stop'
    | 'prober-restart'
    | 'exit'
    | 'bridge'
    | 'lease-dir';
  /**
   * What was removed: a container id, a mount point, a CNI container id, a prober pid, a cgroup (`/nspod/<pod>-<uid>`),
   * a directory (a pod's state dir, or its data dir under the data root), a bridge, a bridge's host-local lease dir; for `stop`, what was finished: `stop` or `removal`; for `prober-restart`, the new prober's pid; for `exit`, the container whose exit was recorded.
   */
  what: string;
  /** Empty for a bridge and its lease dir: they are the host's, no one pod's. */
  pod: string;
  reason: PodGcReason;
  /** Set when removing it failed; the next gc tries again. */
  error?: string;
}

export interface PodGcReport {
  removed: PodGcEntry[];
  /** Pods whose pause died: kept so that their logs and exit codes can be read (`nspod rm` removes them). */
  failed: { pod: string; pausePid: number }[];
}

/** `<pod>-<uid>`: a DNS label, a dash, 8 hex digits. */
const POD_CGROUP = /^([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)-([0-9a-f]{8})$/;

/** The pod a runtime container id belongs to: `<pod>` is the pause, `<pod>.<container>` an app. */
export function podOfContainerId(id: string): string {
  return id.split('.')[0]!;
}

/** The pod name and uid of a cgroup dir name under /nspod, or undefined when it is not a pod's. */
export function parsePodCgroupName(name: string): { pod: string; uid: string } | undefined {
  const m = POD_CGROUP.exec(name);
  return m ? { pod: m[1]!, uid: m[2]! } : undefined;
}

/** Its create failed and could not undo all it made (the record says what): half-made whatever its creator does next. */
function createGaveUp(record: PodRecord): boolean {
  return record.phase === 'Creating' && record.rollbackFailed !== undefined;
}

/** Why a pod's leftovers may go, or undefined while the pod holds them. */
export function podGcReason(record: PodRecord | undefined, creatorAlive: boolean): PodGcReason | undefined {
  if (!record) return 'pod-gone';
  if (record.phase === 'Stopped') return 'pod-stopped';
  if (createGaveUp(record) || (record.phase === 'Creating' && record.creator && !creatorAlive)) return 'half-made';
  return undefined;
}

function isHalfMade(record: PodRecord): boolean {
  return podGcReason(record, record.creator !== undefined && isProcessAlive(record.creator)) === 'half-made';
}

/** Processes in a cgroup dir or any dir below it. */
function cgroupHasProcesses(dir: string): boolean {
  let entries: import('node:fs').Dirent[];
  try {
    if (readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').trim() !== '') return true;
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  return entries.some((e) => e.isDirectory() && cgroupHasProcesses(path.join(dir, e.name)));
}

/**
 * Removes `/nspod/<cgroup>` in every hierarchy where it has no process; true when one was removed. The pod's
 * shims outlive its containers by a moment (they write the exit record, then exit): they are waited for, briefly.
 */
async function removePodCgroup(cgroup: string): Promise<boolean> {
  let removed = false;
  for (const mount of cgroupMounts()) {
    const dir = path.join(mount, 'nspod', cgroup);
    const supervisors = path.join(dir, SUPERVISORS_CGROUP);
    for (let i = 0; i < 100 && cgroupHasProcesses(supervisors); i++) await new Promise((r) => setTimeout(r, 20));
    if (!existsSync(dir) || cgroupHasProcesses(dir)) continue;
    if (await removeCgroupTree(dir)) removed = true;
  }
  return removed;
}

/** The runtime containers of a state root, by runtime dir (`runc`, `crun`). */
async function runtimeContainers(root: string, runtimeOption: string | undefined): Promise<{ runtime: Runtime; states: RuntimeState[] }[]> {
  const out = [];
  for (const dirName of await readdir(path.join(root, 'runtime')).catch(() => [] as string[])) {
    let runtime: Runtime;
    try {
      const preferred = runtimeOption ? Runtime.find(runtimeOption) : undefined;
      runtime = new Runtime({
        runtime: preferred?.name === dirName ? preferred.binary : dirName,
        root: path.join(root, 'runtime', dirName),
      });
    } catch {
      continue;
    }
    out.push({ runtime, states: await runtime.list() });
  }
  return out;
}

/** The cgroup (relative to /nspod) a process is in, from /proc/<pid>/cgroup. */
function nspodCgroupOf(pid: number): string | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
      .split('\n')
      .find((l) => l.includes(':/nspod/'));
    const parts = line?.split(':/nspod/')[1]?.split('/');
    return parts?.[0];
  } catch {
    return undefined;
  }
}

/** Collects one pod's removals, each step on its own: a failed step is reported and the others still run. */
class Collector {
  readonly removed: PodGcEntry[] = [];
  async step<T>(entry: Omit<PodGcEntry, 'error'>, fn: () => Promise<T>): Promise<T | undefined> {
    const outcome = await settle(fn);
    if (!outcome.ok) this.removed.push({ ...entry, error: outcome.error });
    else if (outcome.value !== false) this.removed.push(entry);
    return outcome.ok ? outcome.value : undefined;
  }
  get failed(): boolean {
    return this.removed.some((e) => e.error !== undefined);
  }
}

/**
 * A pod whose creator died mid-create: its prober, containers (apps, then
 * the pause), network, mounts, cgroups and state dir, in that order.
 */
async function removeHalfMadePod(store: StateRoot, record: PodRecord, c: Collector): Promise<void> {
  const pod = record.name;
  const reason: PodGcReason = 'half-made';
  // Shims of exiting apps skip their exit command while this marker exists.
  await writeFile(path.join(record.dir, 'stopping'), '').catch(() => undefined);
  // The recorded prober, and one started but not recorded (its creator died between the start and the save).
  const probers = [...(record.prober ? [record.prober] : []), ...probersOf(record.dir)];
  for (const p of probers.filter((p, i) => isProcessAlive(p) && probers.findIndex((q) => q.pid === p.pid) === i)) {
    await c.step({ kind: 'prober', what: String(p.pid), pod, reason }, () => stopProber(p));
  }
  const runtime = new Runtime({ runtime: record.runtime.binary, root: record.runtime.root });
  const listed = existsSync(record.runtime.root) ? await runtime.list() : [];
  const ids = listed.filter((s) => podOfContainerId(s.id) === pod && s.bundle.startsWith(`${record.dir}/`)).map((s) => s.id);
  // Apps first, the pause (id = pod name) last.
  for (const id of ids.sort((a, b) => (a === pod ? 1 : b === pod ? -1 : a.localeCompare(b)))) {
    await c.step({ kind: 'container', what: id, pod, reason }, async () => {
      await runtime.kill(id, 'KILL');
      await runtime.delete(id, { force: true });
    });
  }
  const containerId = cniContainerId(pod, record.uid);
  await c.step({ kind: 'network', what: containerId, pod, reason }, () => detachPodNetwork(store.root, containerId, record.network));
  for (const m of mountsUnder(record.dir)) c.removed.push({ kind: 'mount', what: m, pod, reason });
  await unmountAll(record.dir);
  await c.step({ kind: 'cgroup', what: `/nspod/${podCgroupName(pod, record.uid)}`, pod, reason }, () =>
    removePodCgroup(podCgroupName(pod, record.uid)),
  );
  if (keepsStateDir(c.failed, record.dir)) return; // kept for the next gc: it still names what is left
  await c.step({ kind: 'state-dir', what: record.dir, pod, reason }, () => store.release(pod));
}

/** A dir that is no pod's (trash, an unrecorded pod dir): what is mounted below it is unmounted, then it goes. */
async function removeDir(c: Collector, dir: string, pod: string, reason: PodGcReason, remove?: () => Promise<void>): Promise<void> {
  for (const m of mountsUnder(dir)) c.removed.push({ kind: 'mount', what: m, pod, reason });
  await c.step({ kind: 'state-dir', what: dir, pod, reason }, async () => {
    await unmountAll(dir);
    if (mountsUnder(dir).length > 0) throw new Error(`still mounted below ${dir}: ${mountsUnder(dir).join(', ')}`);
    await (remove ? remove() : rm(dir, { recursive: true, force: true }));
  });
}

/** Why an attachment is an orphan, or undefined while its pod holds it. */
export function orphanReason(a: NetworkAttachment, record: PodRecord | undefined, creatorAlive: boolean): OrphanReason | undefined {
  if (!record || record.uid !== a.podUid) return 'pod-gone';
  if (record.phase === 'Stopped') return 'pod-stopped';
  if (!record.network?.result && (!creatorAlive || createGaveUp(record))) return 'half-made';
  return undefined;
}

/**
 * Releases the CNI attachments of pods that are gone, stopped, or were left half-made by a crashed create
 * (CNI DEL by recorded container id, then the pin). Idempotent; returns what it released.
 */
export async function gcNetworks(options: { root?: string | undefined } = {}): Promise<ReleasedAttachment[]> {
  const store = new StateRoot(resolveStateRoot(options.root));
  return await releaseOrphanAttachments(store.root, async (a) =>
    orphanReason(a, await store.load(a.pod).catch(() => undefined), isProcessAlive(a.creator)),
  );
}

/**
 * Removes the bridges nspod made (their pods' ADD brought them into being) that pods of this state root were on, that
 * no pod of any state root uses and no interface is on, idle for `minAgeMs` (default 60 s), with their lease dirs and
 * localnet chains. A bridge whose roots are all gone is any root's to remove.
 */
export async function gcBridges(options: { root?: string | undefined; minAgeMs?: number | undefined } = {}): Promise<CollectedBridge[]> {
  return await collectBridges({ root: resolveStateRoot(options.root), minAgeMs: options.minAgeMs ?? 60_000 });
}

/**
 * Finds and releases what belongs to no live pod under a state root:
 * - CNI attachments of pods that are gone, stopped or half-made (gcNetworks);
 * - half-made pods (Creating, creator dead): everything, state dir included;
 * - pods that die with their owner (removeWhen: 'owner-exits') whose owner is gone: stopped and removed;
 * - runtime containers whose pod dir is gone or whose pod is Stopped;
 * - mounts under pods/<name> of pods that are gone or Stopped;
 * - cgroups /nspod/<pod>-<uid> with no process, of no live pod of this root, older than minAgeMs;
 * - data dirs (under the data root) of pods of this root that are gone;
 * - bridges nspod made that this root's pods were on and no pod of any state root uses, with their lease dirs (gcBridges).
 * Pods whose pause died are reported, never removed. Idempotent.
 */
export async function gcPods(options: PodGcOptions = {}): Promise<PodGcReport> {
  const root = resolveStateRoot(options.root);
  const minAgeMs = options.minAgeMs ?? 60_000;
  const store = new StateRoot(root);
  const c = new Collector();
  const failed: PodGcReport['failed'] = [];

  // Networks first, while the pins of half-made pods still hold their netns.
  for (const n of await gcNetworks({ root })) {
    c.removed.push({ kind: 'network', what: n.containerId, pod: n.pod, reason: n.reason, ...(n.error ? { error: n.error } : {}) });
  }

  // Claims their creators did not place, and removed pod dirs their removers did not delete: no name is theirs.
  const unfinished = await store.unfinished();
  for (const dir of unfinished.claims) {
    const record = await readJson<PodRecord>(path.join(dir, 'pod.json')).catch(() => undefined);
    const age = Date.now() - ((await stat(dir).catch(() => undefined))?.mtimeMs ?? Date.now());
    if (record?.creator ? isProcessAlive(record.creator) : age < minAgeMs) continue;
    const pod = record?.name ?? path.basename(dir);
    await c.step({ kind: 'state-dir', what: dir, pod, reason: 'creator-gone' }, () => rm(dir, { recursive: true, force: true }));
  }
  for (const dir of unfinished.trash)
    await removeDir(c, dir, path.basename(dir).split('.')[2] ?? '', 'trash', () => store.deleteTrashed(dir));

  const records = new Map<string, PodRecord>();
  const halfMade = new Set<string>();
  for (const name of await store.names()) {
    let record = await store.load(name).catch(() => undefined);
    if (!record) {
      // No pod: every claim comes with its record. The dir goes at once, so that the name is free for run.
      if (!existsSync(store.recordPath(name))) await removeDir(c, store.podDir(name), name, 'unrecorded', () => store.release(name));
      continue;
    }
    if (isHalfMade(record)) {
      halfMade.add(name);
      await store
        .withLock(name, async () => {
          const fresh = await store.load(name);
          if (fresh && isHalfMade(fresh)) await removeHalfMadePod(store, fresh, c);
        })
        .catch((e) =>
          c.removed.push({ kind: 'state-dir', what: store.podDir(name), pod: name, reason: 'half-made', error: errorMessage(e) }),
        );
      continue;
    }
    // A stop whose stopper died is finished first; what it could not release is then a Stopped pod's leftovers.
    const finished = await settle(() => Pod.finishInterruptedStop(name, { root, runtime: options.runtime }));
    const stopEntry = { kind: 'stop', pod: name, reason: 'stopper-gone' } as const;
    if (!finished.ok) c.removed.push({ ...stopEntry, what: 'stop', error: finished.error });
    else if (finished.value) {
      c.removed.push({ ...stopEntry, what: finished.value });
      if (finished.value === 'removal') continue;
      record = (await store.load(name).catch(() => undefined)) ?? record;
    }
    // A pod that dies with its owner, whose owner is gone (its shim's watch was cut short: the pause died, a reboot...).
    if (record.phase !== 'Creating' && record.owner && !isProcessAlive(record.owner)) {
      const removed = await c.step({ kind: 'state-dir', what: record.dir, pod: name, reason: 'owner-gone' }, async () => {
        await (await Pod.load(name, { root, runtime: options.runtime })).remove({ gracePeriodSeconds: 0 });
        return true;
      });
      if (removed) continue;
    }
    // A prober that died while its pod runs: started again (its probes' results were unknown meanwhile).
    const restarted = await settle(() => Pod.restartLostProber(name, { root, runtime: options.runtime }));
    const proberEntry = { kind: 'prober-restart', pod: name, reason: 'prober-lost' } as const;
    if (!restarted.ok) c.removed.push({ ...proberEntry, what: 'prober', error: restarted.error });
    else if (restarted.value) c.removed.push({ ...proberEntry, what: String(restarted.value.started) });
    // Containers whose shim died: their exit recorded (ShimLost), their restartPolicy applied.
    const shims = await settle(() => Pod.recordLostShims(name, { root, runtime: options.runtime }));
    if (!shims.ok) c.removed.push({ kind: 'exit', what: 'containers', pod: name, reason: 'shim-lost', error: shims.error });
    else for (const container of shims.value) c.removed.push({ kind: 'exit', what: container, pod: name, reason: 'shim-lost' });
    records.set(name, record);
    const pause = record.pause;
    if ((record.phase === 'Running' || record.phase === 'Failed') && pause && !isProcessAlive(pause))
      failed.push({ pod: name, pausePid: pause.pid });
  }

  // Leftovers of pods that are gone or Stopped; a pod dir without a record is being claimed right now, or was dealt with above.
  const leftoverReason = (pod: string): 'pod-gone' | 'pod-stopped' | undefined => {
    const record = records.get(pod);
    if (record) return record.phase === 'Stopped' ? 'pod-stopped' : undefined;
    return halfMade.has(pod) || !existsSync(store.podDir(pod)) ? 'pod-gone' : undefined;
  };

  // Runtime containers of pods that are gone or stopped: their pod dir no longer says how to stop them.
  for (const { runtime, states } of await runtimeContainers(root, options.runtime)) {
    for (const s of states) {
      const pod = podOfContainerId(s.id);
      const reason = leftoverReason(pod);
      if (!reason) continue;
      const cgroup = s.pid ? nspodCgroupOf(s.pid) : undefined;
      await c.step({ kind: 'container', what: s.id, pod, reason }, async () => {
        await runtime.kill(s.id, 'KILL');
        await runtime.delete(s.id, { force: true });
      });
      // The runtime removes the container's own cgroup; the pod's (its parent) is ours to remove.
      if (cgroup && POD_CGROUP.test(cgroup)) {
        await c.step({ kind: 'cgroup', what: `/nspod/${cgroup}`, pod, reason }, () => removePodCgroup(cgroup));
      }
    }
  }

  // Mounts of pods that are gone or stopped (a stop that died half-way, a pod dir removed by hand).
  const podsPrefix = `${store.podsDir}/`;
  const byPod = new Map<string, string[]>();
  for (const m of mountsUnder(store.podsDir)) {
    if (!m.startsWith(podsPrefix)) continue;
    const pod = m.slice(podsPrefix.length).split('/')[0]!;
    byPod.set(pod, [...(byPod.get(pod) ?? []), m]);
  }
  for (const [pod, mounts] of byPod) {
    const reason = leftoverReason(pod);
    if (!reason) continue;
    for (const m of mounts) c.removed.push({ kind: 'mount', what: m, pod, reason });
    await unmountAll(store.podDir(pod));
  }

  // Empty pod cgroups of no live pod of this root; young ones may be a pod being created under another root.
  const live = new Set([...records.values()].filter((r) => r.phase !== 'Stopped').map((r) => podCgroupName(r.name, r.uid)));
  const seen = new Set<string>();
  for (const mount of cgroupMounts()) {
    for (const name of await readdir(path.join(mount, 'nspod')).catch(() => [] as string[])) {
      const parsed = parsePodCgroupName(name);
      if (!parsed || live.has(name) || seen.has(name)) continue;
      const dir = path.join(mount, 'nspod', name);
      let mtimeMs: number;
      try {
        if (!statSync(dir).isDirectory()) continue;
        mtimeMs = statSync(dir).mtimeMs;
      } catch {
        continue;
      }
      if (Date.now() - mtimeMs < minAgeMs || cgroupHasProcesses(dir)) continue;
      seen.add(name);
      const record = records.get(parsed.pod);
      const reason: PodGcReason = record?.uid === parsed.uid && record.phase === 'Stopped' ? 'pod-stopped' : 'pod-gone';
      await c.step({ kind: 'cgroup', what: `/nspod/${name}`, pod: parsed.pod, reason }, () => removePodCgroup(name));
    }
  }

  // Data dirs of pods of this root that are gone: a removal that died before deleting them, a state root wiped or deleted.
  for (const dataRoot of new Set([resolveDataRoot(root, options.dataRoot), recordedDataRoot(root) ?? DEFAULT_DATA_ROOT])) {
    for (const { dir, pod } of await store.orphanDataDirs(dataRoot)) {
      await c.step({ kind: 'data-dir', what: dir, pod, reason: 'pod-gone' }, () => rm(dir, { recursive: true, force: true }));
    }
  }

  // Last: the attachments released above took their bridges' last users away.
  const bridges = await settle(() => gcBridges({ root, minAgeMs }));
  if (!bridges.ok) c.removed.push({ kind: 'bridge', what: 'bridges', pod: '', reason: 'unused', error: bridges.error });
  for (const b of bridges.ok ? bridges.value : []) {
    if (b.deleted || b.error)
      c.removed.push({ kind: 'bridge', what: b.bridge, pod: '', reason: 'unused', ...(b.error ? { error: b.error } : {}) });
    for (const dir of b.leaseDirs) c.removed.push({ kind: 'lease-dir', what: dir, pod: '', reason: 'unused' });
  }
  return { removed: c.removed, failed };
}
