/**
 * A pod's status: the types `pod.status()` returns, pure functions that derive them from the
 * records (pod.json, the shims' exit records, the prober's results, whether a pid lives), and
 * `readPodStatus`, which reads those records and calls them. Reading a status writes nothing.
 */
import { isNspodError } from '../errors.js';
import { readJson } from '../host/files.js';
import { isAlive, isProcessAlive } from '../host/proc.js';
import { networkStatus, type PodNetworkStatus } from '../network/attachment.js';
import { hasProbes } from '../probe/config.js';
import { readProbeStatus, type ContainerProbeStatus, type ProbeResult } from '../probe/prober.js';
import type { ContainerSpec, PodSpec } from '../spec/spec.js';
import { exitedForGood, runningContainerSpec } from '../spec/restart.js';
import { podQosClass, type QosClass } from '../spec/qos.js';
import { readTerminationMessage, terminationMessageLimit } from './termination.js';
import { previousLogPath, type ContainerRecord, type NamespaceName, type PodPhase, type PodRecord } from './store.js';

export interface ExitRecord {
  pid: number;
  exitCode: number;
  signal: number;
  finishedAt: string;
  /** The kernel's OOM killer struck in the container's memory cgroup. */
  oomKilled?: boolean;
  /** `ShimLost`: written by nspod gc for a container whose shim died; its real exit code is unknown. */
  reason?: string;
}

/** The exit code recorded for a container whose exit nobody saw: the kubelet's for one it lost (ContainerStatusUnknown). */
export const LOST_EXIT_CODE = 137;

export type ContainerState = 'running' | 'exited' | 'unknown';

export interface ContainerStatus {
  name: string;
  id: string;
  /** An init container that runs to completion. */
  init: boolean;
  /** A sidecar: an init container with restartPolicy Always, running beside the apps (Kubernetes lists it among the init containers). */
  sidecar: boolean;
  state: ContainerState;
  pid?: number | undefined;
  exitCode?: number | undefined;
  signal?: number | undefined;
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
  restartCount: number;
  bundle: string;
  logPath: string;
  /** The log of its previous run, once it has been restarted (`nspod logs --previous`). */
  previousLogPath?: string | undefined;
  /** Running, and its startup probe (if any) succeeded. */
  started: boolean;
  /** Running, and its readiness probe (if any) succeeded: Kubernetes' container Ready. */
  ready: boolean;
  oomKilled?: boolean | undefined;
  /**
   * The termination message of its last terminated run (Kubernetes' terminated.message): this run's once it exited,
   * the run before a restart's while the next runs; absent when that run left none.
   */
  message?: string | undefined;
  /** `ShimLost`: its shim died, so its exit is not seen (state unknown) or was recorded by gc with exit code unknown (137). */
  reason?: string | undefined;
  /** The prober's last results for this run of the container (`lastResult: 'unknown'` while the pod's prober is lost). */
  probes?: ProbeResult[] | undefined;
}

/** What watches a container: a supervisor that died leaves its results unknown. */
export interface Supervision {
  /** The pod's prober is gone while the pod runs: its last results are stale (nspod gc starts it again). */
  proberLost?: boolean;
  /** The container's shim died before writing an exit record: whether it runs or not, nobody reaps it or logs it. */
  shimLost?: boolean;
}

export interface PodStatus {
  name: string;
  phase: PodPhase;
  createdAt: string;
  runtime: string;
  dir: string;
  pause:
    | {
        id: string;
        pid: number;
        alive: boolean;
        bundle: string;
        namespaces: Record<NamespaceName, { path: string; inode: number }>;
      }
    | undefined;
  containers: ContainerStatus[];
  /** The pod's network: mode, IPs, interfaces, routes, DNS, published ports. */
  network: PodNetworkStatus;
  /** Why nspod stopped the pod itself: DeadlineExceeded (activeDeadlineSeconds), as Kubernetes' status.reason; InitContainerFailed (RestartAllContainers). */
  reason?: string | undefined;
  /** Kubernetes' pod Ready: running, and every app container and sidecar ready. */
  ready: boolean;
  /** Its QoS class as Kubernetes computes it from requests and limits: what its containers' oom_score_adj follows. */
  qosClass: QosClass;
  /** The pod's nspod-prober, when it has one: `alive: false` while the pod runs means its probes' results are unknown. */
  prober?: { pid: number; alive: boolean } | undefined;
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

/**
 * The exit record if it ends the run pod.json knows: a restart starts the next run before it saves the record,
 * so for a moment the exit file can be the new run's, which says nothing yet of the run recorded.
 */
export function currentRunExit(c: Pick<ContainerRecord, 'pid'>, exit: ExitRecord | undefined): ExitRecord | undefined {
  if (exit === undefined || c.pid === undefined || exit.pid === 0) return exit;
  return exit.pid === c.pid ? exit : undefined;
}

/** Does the prober watch this container? (Init containers are never probed; sidecars are.) */
export function isProbed(c: ContainerRecord, spec: ContainerSpec | undefined): spec is ContainerSpec {
  return !c.init && spec !== undefined && hasProbes(spec);
}

/**
 * A container's status from its record, its declared spec, its shim's exit record, the prober's
 * results and whether its pid is alive (asked only when there is no exit record).
 */
export function containerStatus(
  c: ContainerRecord,
  spec: ContainerSpec | undefined,
  exit: ExitRecord | undefined,
  probes: ContainerProbeStatus | undefined,
  alive: boolean,
  supervision: Supervision = {},
  message?: string,
): ContainerStatus {
  const running = !exit && c.pid !== undefined && alive && supervision.shimLost !== true;
  const probed = isProbed(c, spec);
  // Results about an earlier run of the container say nothing of this one; a dead prober's say nothing of now.
  const current = probes !== undefined && probes.pid === c.pid && !(probed && supervision.proberLost) ? probes : undefined;
  const stale = probed && supervision.proberLost === true;
  return {
    name: c.name,
    id: c.id,
    init: c.init,
    sidecar: c.sidecar === true,
    state: exit ? 'exited' : running ? 'running' : 'unknown',
    pid: running ? c.pid : undefined,
    exitCode: exit?.exitCode,
    signal: exit?.signal || undefined,
    startedAt: c.startedAt,
    finishedAt: exit?.finishedAt,
    restartCount: c.restartCount,
    bundle: c.bundle,
    logPath: c.logPath,
    previousLogPath: c.restartCount > 0 ? previousLogPath(c.logPath) : undefined,
    // Started is kept through a lost prober, as the kubelet keeps it for a container that had started.
    started:
      running &&
      !c.postStartPending &&
      (!spec?.startupProbe || (stale ? probes?.pid === c.pid && probes?.started === true : current?.started === true)),
    ready: running && !c.postStartPending && (!probed || (current?.ready === true && current.running)),
    oomKilled: exit?.oomKilled === true ? true : undefined,
    message: (exit ? message : c.lastTerminationMessage) || undefined,
    reason: exit?.reason ?? (!exit && supervision.shimLost ? 'ShimLost' : undefined),
    probes: stale ? probes?.probes.map((p) => ({ ...p, lastResult: 'unknown' as const })) : probes?.probes,
  };
}

/** The pod's status from its record, its containers' statuses and whether its pause is alive (a Running pod without one has Failed). */
export function podStatus(r: PodRecord, containers: ContainerStatus[], pauseAlive: boolean, proberAlive?: boolean): PodStatus {
  const pause = r.pause;
  const phase = r.phase === 'Running' && !pauseAlive ? 'Failed' : r.phase;
  return {
    name: r.name,
    phase,
    createdAt: r.createdAt,
    runtime: r.runtime.name,
    dir: r.dir,
    pause: pause && { id: pause.id, pid: pause.pid, alive: pauseAlive, bundle: pause.bundle, namespaces: pause.namespaces },
    containers,
    ...(r.reason ? { reason: r.reason } : {}),
    network: networkStatus(r.networkMode ?? (r.spec.hostNetwork ? 'host' : 'cni'), r.network),
    ready: phase === 'Running' && containers.filter((c) => !c.init).every((c) => c.ready),
    qosClass: podQosClass(r.spec),
    ...(r.prober ? { prober: { pid: r.prober.pid, alive: proberAlive ?? false } } : {}),
  };
}

/**
 * Is the pod's prober lost: the pod runs with probed containers, and the prober its record names is gone (or none was
 * recorded)? One /proc read: status readers stay cheap.
 */
export function proberLost(r: PodRecord): boolean {
  if (r.phase !== 'Running' || !r.containers.some((c) => isProbed(c, c.init ? undefined : runningContainerSpec(r.spec, c.name))))
    return false;
  return r.prober === undefined || !isProcessAlive(r.prober);
}

/** Reads what a pod's status is made of (exit records, probe results, /proc) and derives it. */
export async function readPodStatus(r: PodRecord): Promise<PodStatus> {
  const pauseAlive = r.pause !== undefined && isProcessAlive(r.pause);
  const supervision: Supervision = { proberLost: pauseAlive && proberLost(r) };
  const containers: ContainerStatus[] = [];
  for (const c of r.containers) {
    let exit = currentRunExit(c, await readExitRecord(c.exitFile));
    // A shim writes the exit record, then exits: one found gone is asked for its record once more.
    if (!exit && c.shim && !isProcessAlive(c.shim)) exit = currentRunExit(c, await readExitRecord(c.exitFile));
    const alive = !exit && c.pid !== undefined && isAlive(c.pid);
    const spec = c.init ? undefined : runningContainerSpec(r.spec, c.name);
    const probes = isProbed(c, spec) ? await readProbeStatus(r.dir, c.name) : undefined;
    const message = exit ? await readTerminationMessage(c, exit.exitCode, terminationMessageLimit(r.spec)) : undefined;
    const shimLost = !exit && c.shim !== undefined && !isProcessAlive(c.shim);
    containers.push(containerStatus(c, spec, exit, probes, alive, { ...supervision, shimLost }, message));
  }
  return podStatus(r, containers, pauseAlive, r.prober !== undefined && isProcessAlive(r.prober));
}

/** Is a follow of container `name`'s log over: it exited for good, the pod stopped or failed, or it is gone? */
export function followOver(spec: PodSpec, status: PodStatus | undefined, name: string): boolean {
  const c = status?.containers.find((x) => x.name === name);
  if (!status || !c || status.phase === 'Stopped' || status.phase === 'Failed') return true;
  return c.state === 'exited' && (c.init || exitedForGood(spec, c));
}
