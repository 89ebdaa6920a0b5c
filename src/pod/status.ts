/** What a pod's status is made of: the shims' exit records, and the status types `pod.status()` returns. */
import { isNspodError } from '../errors.js';
import { readJson } from '../host/files.js';
import type { PodNetworkStatus } from '../network/attachment.js';
import type { ProbeResult } from '../probe/prober.js';
import type { NamespaceName, PodPhase } from './store.js';

export interface ExitRecord {
  pid: number;
  exitCode: number;
  signal: number;
  finishedAt: string;
  /** The kernel's OOM killer struck in the container's memory cgroup. */
  oomKilled?: boolean;
}

export type ContainerState = 'running' | 'exited' | 'unknown';

export interface ContainerStatus {
  name: string;
  id: string;
  init: boolean;
  state: ContainerState;
  pid?: number | undefined;
  exitCode?: number | undefined;
  signal?: number | undefined;
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
  restartCount: number;
  bundle: string;
  logPath: string;
  /** Running, and its startup probe (if any) succeeded. */
  started: boolean;
  /** Running, and its readiness probe (if any) succeeded: Kubernetes' container Ready. */
  ready: boolean;
  oomKilled?: boolean | undefined;
  /** The prober's last results for this run of the container. */
  probes?: ProbeResult[] | undefined;
}

export interface PodStatus {
  name: string;
  phase: PodPhase;
  createdAt: string;
  runtime: string;
  dir: string;
  pause: {
    id: string;
    pid: number;
    alive: boolean;
    bundle: string;
    namespaces: Record<NamespaceName, { path: string; inode: number }>;
  } | undefined;
  containers: ContainerStatus[];
  /** The pod's network: mode, IPs, interfaces, routes, DNS, published ports. */
  network: PodNetworkStatus;
  /** Kubernetes' pod Ready: running, and every app container ready. */
  ready: boolean;
}

/** A shim's exit record; one cut short (a full disk) still says the container exited, with code 255. */
export async function readExitRecord(file: string): Promise<ExitRecord | undefined> {
  try {
    return await readJson<ExitRecord>(file);
  } catch (e) {
    if (isNspodError(e, 'STATE_CORRUPT')) return { pid: 0, exitCode: 255, signal: 0, finishedAt: new Date().toISOString() };
    throw e;
  }
}
