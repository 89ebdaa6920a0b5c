/** The pod's state on disk: one directory per pod under the state root, with pod.json written atomically. */
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { NspodError, isNspodError } from '../errors.js';
import { withDirLock, readLockHolder } from '../host/lock.js';
import { existsSync } from 'node:fs';
import type { ContainerSpec, PodSpec } from '../spec/spec.js';
import type { ImageDefaults } from '../image/config.js';
import type { HeldPorts, NetworkAttachment, NetworkMode } from '../network/attachment.js';
import { publishedPorts } from '../network/ports.js';
import { type ProcessIdentity } from '../host/proc.js';
import { ensurePrivateDir, readJson, writeJsonAtomic } from '../host/files.js';

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
  startedAt?: string;
  restartCount: number;
  /** The container as written (a restart starts it again from this, with `image`'s defaults; older records have them applied). */
  spec?: ContainerSpec;
  /** What its image gives it: entrypoint, cmd, env, workingDir, user. */
  image?: ImageDefaults;
  /** Its postStart hook has not returned yet: it does not count as started (nor ready). */
  postStartPending?: boolean;
  /** When the supervisor will start it again (back-off after an exit). */
  nextRestartAt?: string;
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
  dir: string;
  runtime: { name: string; binary: string; root: string };
  /** Exited app containers are restarted per restartPolicy by the shim's exit command (`nspod internal container-exited`). */
  supervised?: boolean;
  /** The pids limit of its containers whose resources and annotations name none (the `pidsLimit` option); default 2048. */
  pidsLimit?: number;
  /** Removed once every app container has exited for good (`nspod run -d --rm`). */
  removeWhenDone?: boolean;
  /** Where its containers' Localhost seccomp profiles are read from at each start (only when one has such a profile). */
  seccompRoot?: string;
  pause?: PauseRecord;
  containers: ContainerRecord[];
  /** The timer that stops the pod at its activeDeadlineSeconds (deadline.ts). */
  deadlineTimer?: ProcessIdentity;
  /** Why the pod was stopped by nspod itself: DeadlineExceeded (as Kubernetes' pod status.reason). */
  reason?: string;
  /** When the app containers were found done for good in a pod with sidecars: from then on no sidecar restarts, and they are stopped. */
  appsDone?: string;
  /** cni (an attachment of its own), host (hostNetwork) or none (loopback only). */
  networkMode?: NetworkMode;
  /** The cached CNI attachment (config, capability args, ADD result) that DEL needs; gone once released. */
  network?: NetworkAttachment;
  /** Image volume name → the cached rootfs it mounts. */
  imageVolumes?: Record<string, string>;
  /** The pod's nspod-prober, when a container has probes. */
  prober?: { pid: number; startTime: number; config: string };
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
   * Claims the pod's name: the mkdir is atomic, so two creators cannot both win. The state root, its pods dir and
   * the pod's dir are 0700 (chmodded when they were there already): no other user may walk into a container's rootfs.
   */
  async claim(name: string): Promise<string> {
    await ensurePrivateDir(this.root);
    await ensurePrivateDir(this.podsDir);
    const dir = this.podDir(name);
    try {
      await mkdir(dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new NspodError('POD_EXISTS', `pod ${JSON.stringify(name)} already exists in ${this.root}`, {
          hint: `remove it first (nspod rm -f ${name}) or choose another name`,
        });
      }
      throw e;
    }
    return dir;
  }

  async save(record: PodRecord): Promise<void> {
    // 0600: a pod's env (and whatever secrets it holds) is nobody else's business.
    await writeJsonAtomic(this.recordPath(record.name), record, { mode: 0o600 });
  }

  async load(name: string): Promise<PodRecord | undefined> {
    return await readJson<PodRecord>(this.recordPath(name));
  }

  async names(): Promise<string[]> {
    try {
      return (await readdir(this.podsDir)).sort();
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

  async release(name: string): Promise<void> {
    await rm(this.podDir(name), { recursive: true, force: true });
  }
}
