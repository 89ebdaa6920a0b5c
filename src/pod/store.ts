/** The pod's state on disk: one directory per pod under the state root, with pod.json written atomically. */
import { mkdir, readdir, readFile, rename, stat, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { NspodError } from '../errors.js';
import type { ContainerSpec, PodSpec } from './spec.js';
import type { NetworkAttachment, NetworkMode } from '../network/attachment.js';
import { currentProcessIdentity, isProcessAlive, readJson, type ProcessIdentity } from './host.js';

export const DEFAULT_STATE_ROOT = '/run/nspod';

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
  init: boolean;
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
  /** The container as started: image defaults applied. A restart starts it again from this. */
  spec?: ContainerSpec;
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
  spec: PodSpec;
  dir: string;
  runtime: { name: string; binary: string; root: string };
  /** Exited app containers are restarted per restartPolicy by the shim's exit command (`nspod internal container-exited`). */
  supervised?: boolean;
  pause?: PauseRecord;
  containers: ContainerRecord[];
  /** cni (an attachment of its own), host (hostNetwork) or none (loopback only). */
  networkMode?: NetworkMode;
  /** The cached CNI attachment (config, capability args, ADD result) that DEL needs; gone once released. */
  network?: NetworkAttachment;
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

  /** Claims the pod's name: the mkdir is atomic, so two creators cannot both win. */
  async claim(name: string): Promise<string> {
    await mkdir(this.podsDir, { recursive: true, mode: 0o711 });
    const dir = this.podDir(name);
    try {
      await mkdir(dir, { mode: 0o711 });
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
    const file = this.recordPath(record.name);
    const tmp = `${file}.${process.pid}.tmp`;
    // 0600: a pod's env (and whatever secrets it holds) is nobody else's business.
    await writeFile(tmp, JSON.stringify(record, null, 2), { mode: 0o600 });
    await rename(tmp, file);
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
   * Runs `fn` holding the pod's lock (a directory: mkdir is atomic), so that
   * the supervisor, the CLI and scripts never write pod.json over each other.
   * A lock whose holder died (pid and start time no longer match), or that
   * has had no owner for 10 s, is broken by renaming it away: only one of
   * several breakers can win that rename.
   */
  async withLock<T>(name: string, fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
    const lock = path.join(this.podDir(name), '.lock');
    const end = Date.now() + timeoutMs;
    for (;;) {
      try {
        await mkdir(lock);
        const me = currentProcessIdentity();
        await writeFile(path.join(lock, 'owner'), `${me.pid} ${me.startTime}`);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') throw new NspodError('POD_NOT_FOUND', `no pod named ${JSON.stringify(name)} in ${this.root}`);
        if (code !== 'EEXIST') throw e;
        const [pid, startTime] = (await readFile(path.join(lock, 'owner'), 'utf8').catch(() => '')).split(' ').map(Number);
        const age = Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? Date.now());
        const stale = pid ? !isProcessAlive({ pid, startTime: startTime ?? 0 }) : age > 10_000;
        if (stale) {
          const away = `${lock}.stale.${process.pid}.${Date.now()}`;
          if (await rename(lock, away).then(() => true, () => false)) await rm(away, { recursive: true, force: true });
          continue;
        }
        if (Date.now() > end) throw new NspodError('TIMEOUT', `pod ${name} is locked by process ${pid || 'unknown'}`, { hint: `wait for it, or remove ${lock} if that process is gone` });
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }

  async release(name: string): Promise<void> {
    await rm(this.podDir(name), { recursive: true, force: true });
  }
}
