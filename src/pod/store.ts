/** The pod's state on disk: one directory per pod under the state root, with pod.json written atomically. */
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { NspodError, isNspodError } from '../errors.js';
import { withDirLock, readLockHolder } from '../host/lock.js';
import { crypto, randomHex } from '../host/builtins.js';
import { existsSync } from 'node:fs';
import type { ContainerSpec, PodSpec } from '../spec/spec.js';
import type { ImageDefaults } from '../image/config.js';
import type { HeldPorts, NetworkAttachment, NetworkMode } from '../network/attachment.js';
import { publishedPorts } from '../network/ports.js';
import type { LogRotation } from '../runtime/runtime.js';
import { type ProcessIdentity } from '../host/proc.js';
import { ensurePrivateDir, readJson, writeJsonAtomic } from '../host/files.js';
import { testPoint } from '../host/testpoint.js';
import { mountsUnder } from '../host/mounts.js';
import { dataRootFile, recordedDataRoot } from '../paths.js';

export type NamespaceName = 'net' | 'ipc' | 'uts' | 'pid' | 'mnt';

export interface NamespaceRecord {
  path: string;
  inode: number;
}

export interface PauseRecord {
  id: string;
  pid: number;
  /** Start time of the pid (clock ticks since boot): guards against pid reuse. */
  startTime: number;
  bundle: string;
  logPath: string;
  exitFile: string;
  namespaces: Record<NamespaceName, NamespaceRecord>;
}

export interface ContainerRecord {
  name: string;
  /** The runtime's container id: `<pod>.<container>`. */
  id: string;
  /** An init container that runs to completion (a sidecar is not one: it runs beside the apps). */
  init: boolean;
  /** An init container with restartPolicy Always: started in the init order, kept running, restarted whenever it exits. */
  sidecar?: boolean;
  dir: string;
  bundle: string;
  rootfs: string;
  /** The image's rootfs: the overlay's read-only lower dir. */
  lowerdir: string;
  logPath: string;
  exitFile: string;
  pidFile: string;
  pid?: number;
  /** Its nspod-shim (pid + start time): the parent that reaps it and writes its exit record. */
  shim?: ProcessIdentity;
  startedAt?: string;
  restartCount: number;
  /** The container as written (a restart starts it again from this, with `image`'s defaults; older records have them applied). */
  spec?: ContainerSpec;
  /** What its image gives it: entrypoint, cmd, env, workingDir, user. */
  image?: ImageDefaults;
  /** The uid and gid it runs as (runAsUser/runAsGroup, the image's User and passwd): what exec runs as too. */
  user?: { uid: number; gid: number };
  /** Its postStart hook has not returned yet: it does not count as started (nor ready). */
  postStartPending?: boolean;
  /** When the supervisor will start it again (back-off after an exit). */
  nextRestartAt?: string;
  /** The termination message of the run before its last restart (its file is fresh for this run). */
  lastTerminationMessage?: string;
}

export type PodPhase = 'Creating' | 'Running' | 'Stopping' | 'Stopped' | 'Failed';

export interface PodRecord {
  version: 1;
  name: string;
  /** Random, per creation: tells two pods of one name apart (cgroups, CNI container ids). */
  uid: string;
  createdAt: string;
  /** The process that claimed the pod: a pod still Creating whose creator is gone was left half-made (nspod gc removes it). */
  creator?: ProcessIdentity;
  phase: PodPhase;
  /**
   * What a failed create could not undo. Its dir and record then stay for nspod gc, which takes the
   * pod for half-made (the rest of it is left to undo) whether or not its creator still runs.
   */
  rollbackFailed?: string[];
  spec: PodSpec;
  /** The spec's hash (reuse.ts): `reuse` takes the pod for a create of an equal spec. */
  specHash?: string;
  dir: string;
  /**
   * Its writable data on disk, under the data root: the overlay upper and work dirs, disk emptyDirs and container logs
   * (`<dataRoot>/roots/<state root's hash>/<name>-<uid>`); older records have them in `dir`.
   */
  dataDir?: string;
  runtime: { name: string; binary: string; root: string };
  /** Exited app containers are restarted per restartPolicy by the shim's exit command (`nspod internal container-exited`). */
  supervised?: boolean;
  /** The pids limit of its containers whose resources and annotations name none (the `pidsLimit` option); default 2048. */
  pidsLimit?: number;
  /** Removed once every app container has exited for good (`nspod run -d --rm`). */
  removeWhenDone?: boolean;
  /** Stopped and removed when this process exits (`removeWhen: 'owner-exits'`): the pause's shim watches it. */
  owner?: ProcessIdentity;
  /** Where its containers' Localhost seccomp profiles are read from at each start (only when one has such a profile). */
  seccompRoot?: string;
  pause?: PauseRecord;
  containers: ContainerRecord[];
  /** The timer that stops the pod at its activeDeadlineSeconds (deadline.ts). */
  deadlineTimer?: ProcessIdentity;
  /** Why the pod was stopped by nspod itself: DeadlineExceeded (as Kubernetes' pod status.reason), InitContainerFailed (an in-place restart's). */
  reason?: string;
  /** When the app containers were found done for good in a pod with sidecars: from then on no sidecar restarts, and they are stopped. */
  appsDone?: string;
  /** cni (an attachment of its own), host (hostNetwork) or none (loopback only). */
  networkMode?: NetworkMode;
  /** The cached CNI attachment (config, capability args, ADD result) that DEL needs; gone once released. */
  network?: NetworkAttachment;
  /** Image volume name → the cached rootfs it mounts. */
  imageVolumes?: Record<string, string>;
  /** Its containers' logs rotate so (resolvePodOptions: 10 MiB x 5 by default); older records: never. */
  logRotation?: LogRotation;
  /** The pod's nspod-prober, when a container has probes. */
  prober?: { pid: number; startTime: number; config: string };
}

/** A container's dir under its pod's: bundle, records, termination message file. */
export function containerDir(podDir: string, name: string): string {
  return path.join(podDir, 'containers', name);
}

/** Where the log of a container's previous run is kept (`<name>.log` → `<name>.previous.log`) once it starts again. */
export function previousLogPath(logPath: string): string {
  return logPath.replace(/\.log$/, '.previous.log');
}

/** The previous run's log of a container that has been restarted; CONTAINER_NOT_FOUND (kubectl's words) when it has not. */
export function previousLogOf(pod: string, c: Pick<ContainerRecord, 'name' | 'logPath' | 'restartCount'>): string {
  if (c.restartCount > 0) return previousLogPath(c.logPath);
  throw new NspodError('CONTAINER_NOT_FOUND', `previous terminated container ${JSON.stringify(c.name)} in pod ${pod} not found`, {
    hint: 'a container has a previous run once it has been restarted',
  });
}

/** Paths of one state root. */
export class StateRoot {
  constructor(readonly root: string) {}

  get podsDir(): string {
    return path.join(this.root, 'pods');
  }

  runtimeRoot(runtimeName: string): string {
    return path.join(this.root, 'runtime', runtimeName);
  }

  podDir(name: string): string {
    return path.join(this.podsDir, name);
  }

  recordPath(name: string): string {
    return path.join(this.podDir(name), 'pod.json');
  }

  /**
   * This state root's dir under a data root: `roots/<hash of the state root's path>`, so that state roots sharing a data
   * root never meet there, and gc of one finds what its own pods left without a record of theirs (a wiped /run).
   */
  dataDirUnder(dataRoot: string): string {
    return path.join(dataRoot, 'roots', crypto().createHash('sha256').update(this.root).digest('hex').slice(0, 16));
  }

  /** A pod's writable data under the data root (PodRecord.dataDir). */
  podDataDir(dataRoot: string, name: string, uid: string): string {
    return path.join(this.dataDirUnder(dataRoot), `${name}-${uid}`);
  }

  /**
   * Makes the claimed pod's data dir (0700, as its state dir), under a dir that names this state root for whoever looks;
   * the state root names its data root (dataRootFile) from its first pod on. Its undo is the claim's: release().
   */
  async makeDataDir(record: PodRecord): Promise<void> {
    if (!record.dataDir) return;
    const mine = path.dirname(record.dataDir);
    // The data root itself may be a dir of the host's (a disk's mount point): made when missing, never chmodded.
    await mkdir(path.dirname(path.dirname(mine)), { recursive: true, mode: 0o700 });
    for (const d of [path.dirname(mine), mine]) await ensurePrivateDir(d);
    await writeFile(path.join(mine, 'state-root'), `${this.root}\n`, { flag: 'wx', mode: 0o600 }).catch(ignoreExisting);
    await mkdir(record.dataDir, { mode: 0o700 });
    if (recordedDataRoot(this.root) === undefined) {
      await writeFile(dataRootFile(this.root), `${path.dirname(path.dirname(mine))}\n`, { flag: 'wx', mode: 0o600 }).catch(ignoreExisting);
    }
  }

  /**
   * The data dirs under `dataRoot` of pods of this state root that are gone (no record of that uid, no claim being staged):
   * a removal or a gc that died before deleting them, a state root wiped (a tmpfs after a reboot) or deleted by hand.
   */
  async orphanDataDirs(dataRoot: string): Promise<{ dir: string; pod: string }[]> {
    const mine = this.dataDirUnder(dataRoot);
    const entries = await readdir(mine).catch(() => [] as string[]);
    const claims = new Set((await this.unfinished()).claims.map((c) => path.basename(c)));
    const out = [];
    for (const entry of entries) {
      const m = /^(.+)-([0-9a-f]{8})$/.exec(entry);
      if (!m) continue;
      const [, name, uid] = m as unknown as [string, string, string];
      if (claims.has(`${CLAIM_PREFIX}${name}.${uid}`)) continue;
      const record = await this.load(name).catch(() => undefined);
      // A record that cannot be read yet (being written) is no proof the pod is gone.
      if (record?.uid === uid || (!record && existsSync(this.recordPath(name)))) continue;
      out.push({ dir: path.join(mine, entry), pod: name });
    }
    return out;
  }

  /**
   * Claims the pod's name with its record: the dir is made under a staging name (`.claim.<name>.<uid>`), the
   * record written in it, and renamed into place, so that a pod dir never exists without its record. The rename
   * fails onto a dir that holds anything, so two creators cannot both win. A dir of that name without a record
   * (left by an older nspod, or made by hand) is no pod: it goes to the trash and the claim is tried again.
   * The state root, its pods dir and the pod's dir are 0700 (chmodded when they were there already): no other
   * user may walk into a container's rootfs.
   */
  async claim(record: PodRecord): Promise<void> {
    await ensurePrivateDir(this.root);
    await ensurePrivateDir(this.podsDir);
    const staging = path.join(this.podsDir, `${CLAIM_PREFIX}${record.name}.${record.uid}`);
    await mkdir(staging, { mode: 0o700 });
    try {
      await writeJsonAtomic(path.join(staging, 'pod.json'), record, { mode: 0o600 });
      await testPoint('create-claim-staged');
      for (let attempt = 0; ; attempt++) {
        try {
          await rename(staging, this.podDir(record.name));
          return;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
          // (Unless something is mounted below it: that is gc's to unmount first.)
          if (attempt < 3 && !existsSync(this.recordPath(record.name)) && mountsUnder(this.podDir(record.name)).length === 0) {
            await this.release(record.name);
            continue;
          }
          throw new NspodError('POD_EXISTS', `pod ${JSON.stringify(record.name)} already exists in ${this.root}`, {
            hint: `remove it first (nspod rm -f ${record.name}) or choose another name`,
          });
        }
      }
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  async save(record: PodRecord): Promise<void> {
    // 0600: a pod's env (and whatever secrets it holds) is nobody else's business.
    await writeJsonAtomic(this.recordPath(record.name), record, { mode: 0o600 });
  }

  async load(name: string): Promise<PodRecord | undefined> {
    return await readJson<PodRecord>(this.recordPath(name));
  }

  /** The pods' names: every dir of pods/ but the claims being staged and the trash (their names start with a dot). */
  async names(): Promise<string[]> {
    return (await this.entries()).filter((n) => !n.startsWith('.')).sort();
  }

  /** Claims staged by creators and removed pod dirs not deleted yet: gc finishes what their makers did not. */
  async unfinished(): Promise<{ claims: string[]; trash: string[] }> {
    const entries = await this.entries();
    const under = (prefix: string) => entries.filter((n) => n.startsWith(prefix)).map((n) => path.join(this.podsDir, n));
    return { claims: under(CLAIM_PREFIX), trash: under(TRASH_PREFIX) };
  }

  private async entries(): Promise<string[]> {
    try {
      return await readdir(this.podsDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  /**
   * Runs `fn` holding the pod's lock (src/lock.ts: a directory renamed into
   * place with its holder's pid and start time; a dead holder's lock is
   * broken), so that the supervisor, the CLI and scripts never write
   * pod.json over each other.
   */
  async withLock<T>(name: string, fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
    const lock = path.join(this.podDir(name), '.lock');
    try {
      return await withDirLock(lock, fn, { timeoutMs });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync(this.podDir(name))) {
        throw new NspodError('POD_NOT_FOUND', `no pod named ${JSON.stringify(name)} in ${this.root}`);
      }
      if (isNspodError(e, 'TIMEOUT')) {
        const holder = await readLockHolder(lock);
        throw new NspodError('TIMEOUT', `pod ${name} is locked by process ${holder?.pid ?? 'unknown'}`, {
          hint: `wait for it, or remove ${lock} if that process is gone`,
        });
      }
      throw e;
    }
  }

  /**
   * The hostPorts the pods of this root hold by their records (Stopped pods hold none), for the network's
   * conflict check; with `attachedOnly`, CNI pods still Creating are left out (their attachment intent claims them).
   */
  portsHeldByPods(): (attachedOnly: boolean) => Promise<HeldPorts[]> {
    return async (attachedOnly) => {
      const held: HeldPorts[] = [];
      for (const name of await this.names()) {
        const record = await this.load(name).catch(() => undefined);
        if (!record || record.phase === 'Stopped') continue;
        if (attachedOnly && record.phase === 'Creating' && record.networkMode === 'cni') continue;
        // An attached pod holds what its attachment says (a hostPort 0 there is the port chosen for it).
        held.push({ pod: name, ports: record.network?.runtimeConfig.portMappings ?? publishedPorts(record.spec) });
      }
      return held;
    };
  }

  /**
   * Removes the pod's dir: first renamed out of the namespace into the trash (one step: the name is there
   * with its record, or gone), then deleted; what a crash leaves in the trash, gc deletes.
   */
  async release(name: string): Promise<void> {
    const trashed = await this.trash(name);
    if (trashed) await this.deleteTrashed(trashed);
  }

  /** Deletes a trashed pod dir: its data dir first (its record, which names it, goes last), then the dir. */
  async deleteTrashed(trashed: string): Promise<void> {
    const record = await readJson<PodRecord>(path.join(trashed, 'pod.json')).catch(() => undefined);
    if (record?.dataDir) await rm(record.dataDir, { recursive: true, force: true });
    await testPoint('rm-data-deleted');
    await rm(trashed, { recursive: true, force: true });
  }

  /** Renames the pod's dir into the trash; the trash dir, or undefined when there was no dir. */
  private async trash(name: string): Promise<string | undefined> {
    const trashed = path.join(this.podsDir, `${TRASH_PREFIX}${name}.${randomHex(4)}`);
    try {
      await rename(this.podDir(name), trashed);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    await testPoint('rm-trashed');
    return trashed;
  }
}

/** Entries of pods/ that are no pod (a pod's name is a DNS label: it never starts with a dot). */
const CLAIM_PREFIX = '.claim.';
const TRASH_PREFIX = '.trash.';

function ignoreExisting(e: NodeJS.ErrnoException): void {
  if (e.code !== 'EEXIST') throw e;
}
