/** The options of a pod's lifecycle, and their env fallbacks and defaults. */
import { NspodError } from '../errors.js';
import { resolveDataRoot, resolveStateRoot } from '../paths.js';
import { currentProcessIdentity, isAlive, processStartTime, type ProcessIdentity } from '../host/proc.js';
import { pidsLimitProblem } from '../spec/pids.js';
import type { UnpackEvent } from '../image/resolve.js';
import type { LogEntry } from './logs.js';
import type { NetworkOptions } from '../network/config.js';
import type { LogRotation } from '../runtime/runtime.js';

export interface PodOptions extends NetworkOptions {
  /** State root; default env NSPOD_ROOT, else /run/nspod. */
  root?: string | undefined;
  /**
   * Where pods' writable data goes (overlay upper/work dirs, disk emptyDirs, container logs): on disk, while the state
   * root keeps only small records; default env NSPOD_DATA_ROOT, else the one the state root names (its first pod's),
   * else /var/lib/nspod.
   */
  dataRoot?: string | undefined;
  /** `runc` (default), `crun`, or a path; default env NSPOD_RUNTIME. */
  runtime?: string | undefined;
  /** Directory that relative image paths are resolved against. */
  cwd?: string | undefined;
  /**
   * Restart exited app containers per the spec's restartPolicy (default
   * true). The container's shim wakes `nspod internal container-exited` when
   * it exits: no process of nspod stays resident for it.
   */
  supervise?: boolean | undefined;
  /**
   * The pids limit of containers whose resources name none and whose pod has no `nspod.io/pids-limit` annotation;
   * default env NSPOD_PIDS_LIMIT, else 2048 (podman's). 0 or -1: none.
   */
  pidsLimit?: number | undefined;
  /** Remove the pod once every app container has exited for good (`nspod run -d --rm`). */
  removeWhenDone?: boolean | undefined;
  /**
   * `'owner-exits'`: the pod is stopped and removed when its owner exits, however it ends (kill -9 too), by the
   * pause's shim, which watches the owner; nspod gc removes such pods whose owner is gone too.
   */
  removeWhen?: 'owner-exits' | undefined;
  /**
   * Return the running pod of this name when it was made from an equal spec (by this process or another; one being
   * created is waited for) instead of failing on the name; POD_EXISTS names the first differing field, or says the
   * pod is not running (a stopped or failed one is not replaced).
   */
  reuse?: boolean | undefined;
  /** The owner's pid for `removeWhen: 'owner-exits'`; default: this process. */
  owner?: number | undefined;
  /** The image cache; default env NSPOD_IMAGE_ROOT, else /var/lib/nspod/images. */
  imageRoot?: string | undefined;
  /** Show image unpack progress on stderr. Default false: the API is quiet. */
  progress?: boolean | undefined;
  /**
   * Called once per pod, at create, with each warning about it (privileged, hostNetwork, a hostPath of / or /proc, SYS_ADMIN,
   * a readOnly mount that cannot be recursive); default: one `nspod: warning: ...` line each on stderr.
   */
  onWarning?: ((message: string) => void) | undefined;
  /** Where Localhost seccomp profiles are; default env NSPOD_SECCOMP_ROOT, else /var/lib/nspod/seccomp. */
  seccompRoot?: string | undefined;
  /**
   * Container logs rotate at this size (bytes), as the kubelet's containerLogMaxSize; default env NSPOD_LOG_MAX_SIZE,
   * else 10 MiB. 0: never.
   */
  logMaxSize?: number | undefined;
  /** Log files kept per container, the current one included (the kubelet's containerLogMaxFiles); default env NSPOD_LOG_MAX_FILES, else 5. */
  logMaxFiles?: number | undefined;
  /** Called when an image is unpacked into the cache (not when the cache already had it). */
  onImageUnpack?: ((event: UnpackEvent) => void) | undefined;
  /**
   * Gets every line of every container of the pod as it comes (testcontainers' withLogConsumer), from the first one,
   * while this process holds the pod: until `pod.stop()`/`remove()`. It does not keep the process alive.
   */
  onLog?: ((entry: LogEntry & { container: string }) => void) | undefined;
}

export interface StopOptions {
  /** Seconds between TERM and KILL; default: the spec's terminationGracePeriodSeconds, else 30. */
  gracePeriodSeconds?: number;
}

/** The owner of a pod that dies with it: `pid` (default: this process) with its start time; INVALID_SPEC when it is not running. */
export function ownerIdentity(pid: number | undefined): ProcessIdentity {
  if (pid === undefined) return currentProcessIdentity();
  const startTime = Number.isInteger(pid) && pid > 0 ? processStartTime(pid) : undefined;
  if (startTime === undefined || !isAlive(pid)) {
    throw new NspodError('INVALID_SPEC', `owner: no running process ${pid}`, { hint: 'name a running process, or none (this process)' });
  }
  return { pid, startTime };
}

export function resolvePodOptions(options: PodOptions = {}): {
  root: string;
  dataRoot: string;
  runtime: string | undefined;
  cwd: string;
  pidsLimit: number | undefined;
  logRotation: LogRotation | undefined;
} {
  const maxBytes = options.logMaxSize ?? envCount('NSPOD_LOG_MAX_SIZE', 0) ?? DEFAULT_LOG_MAX_SIZE;
  const files = options.logMaxFiles ?? envCount('NSPOD_LOG_MAX_FILES', 2) ?? DEFAULT_LOG_MAX_FILES;
  for (const [what, n, min] of [
    ['logMaxSize', maxBytes, 0],
    ['logMaxFiles', files, 2],
  ] as const) {
    if (!Number.isSafeInteger(n) || n < min) throw new NspodError('INVALID_SPEC', `${what} must be an integer >= ${min}, not ${n}`);
  }
  const root = resolveStateRoot(options.root);
  return {
    root,
    dataRoot: resolveDataRoot(root, options.dataRoot),
    runtime: options.runtime ?? process.env.NSPOD_RUNTIME,
    cwd: options.cwd ?? process.cwd(),
    pidsLimit: options.pidsLimit ?? envPidsLimit(),
    logRotation: maxBytes > 0 ? { maxBytes, files } : undefined,
  };
}

/** The kubelet's defaults: containerLogMaxSize 10Mi, containerLogMaxFiles 5. */
export const DEFAULT_LOG_MAX_SIZE = 10 * 1024 * 1024;
export const DEFAULT_LOG_MAX_FILES = 5;

/** An env var holding an integer >= min, when set. */
function envCount(name: string, min: number): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min)
    throw new NspodError('INVALID_SPEC', `${name} must be an integer >= ${min}, not ${JSON.stringify(v)}`);
  return n;
}

/** NSPOD_PIDS_LIMIT, when it is a number of processes. */
function envPidsLimit(): number | undefined {
  const v = process.env.NSPOD_PIDS_LIMIT;
  if (v === undefined || v === '') return undefined;
  if (pidsLimitProblem(v)) throw new NspodError('INVALID_SPEC', `NSPOD_PIDS_LIMIT ${pidsLimitProblem(v)}`);
  return Number(v);
}
