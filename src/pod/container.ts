/**
 * The containers of a pod: the pause started under its shim, and app containers prepared (dirs,
 * overlay rootfs, a bundle checked against the runtime-spec schema), then started joined to the
 * pause's namespaces; and destroyed. The pod's flow (pod.ts) orders these steps and hands each its Rollback.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { NspodError } from '../errors.js';
import { assets } from '../paths.js';
import { writePauseBundle } from '../oci/pause.js';
import { writeSiblingBundle } from '../oci/sibling.js';
import { pauseNamespacePaths } from '../oci/spec.js';
import { cgroupsPath, podCgroupName, supervisorsCgroupPath } from '../oci/common.js';
import type { Runtime } from '../runtime/runtime.js';
import { hostSpecFacts } from '../runtime/features.js';
import { containerOomScoreAdj, GUARANTEED_OOM_SCORE_ADJ, podQosClass } from '../spec/qos.js';
import type { PodSpec } from '../spec/spec.js';
import type { HostSpecFacts } from '../oci/common.js';
import { podPidsLimit } from '../spec/pids.js';
import {
  isAlive,
  isProcessAlive,
  namespaceInode,
  nofileHardLimit,
  parentPid,
  processName,
  processStartTime,
  type ProcessIdentity,
} from '../host/proc.js';
import { killCgroupProcesses, moveIntoCgroup, removeCgroupDirs, swapAccounting } from '../host/cgroups.js';
import { mountOverlay, unmountAll } from '../host/mounts.js';
import { waitForFile } from '../host/files.js';
import { containerDir, previousLogPath, type ContainerRecord, type NamespaceName, type PauseRecord, type PodRecord } from './store.js';
import { appendEvent } from './events.js';
import { podHostname, podMounts, prepareSubPaths } from './files.js';
import { ConfigStore } from './configs.js';
import { prepareTerminationLog, terminationLogFile } from './termination.js';
import { containerAsRun, podFacts } from './env.js';
import type { RunnableContainer } from './images.js';
import type { Rollback } from './steps.js';
import { exitCommand, ownerCommand, stoppingMarker, wantsExitCommand } from './supervisor.js';
import { sidecars } from '../spec/restart.js';
import { containerLsm, containerSeccomp, hostLsm, processUser } from './security.js';
import { resolveSeccompRoot } from '../oci/seccomp.js';

const NAMESPACES: NamespaceName[] = ['net', 'ipc', 'uts', 'pid', 'mnt'];

/** Writes the pause's scratch bundle and starts it under its shim; returns its identity and namespaces. */
export async function startPause(pod: PodRecord, root: string, runtime: Runtime, rollback: Rollback): Promise<PauseRecord> {
  const bundle = path.join(pod.dir, 'pause');
  await writePauseBundle(bundle, {
    hostname: podHostname(pod.spec),
    cgroupsPath: cgroupsPath(podCgroupName(pod.name, pod.uid), 'pause'),
    nofileHardLimit: nofileHardLimit(),
    pauseBinary: assets.pauseBinary,
    hostNetwork: pod.spec.hostNetwork === true,
    sysctls: pod.spec.sysctls,
    annotations: { 'io.kubernetes.pod.name': pod.name, 'io.kubernetes.container.name': 'POD' },
    host: hostSpecFacts(pod.runtime.binary, pod.runtime.root),
  });
  const id = pod.name;
  const exitFile = path.join(bundle, 'exit');
  const logPath = path.join(bundle, 'pause.log');
  // A pod that dies with its owner: the pause's shim, which lives as long as the pod, watches the owner.
  const owner = pod.owner && { ...pod.owner, command: ownerCommand(root, pod.name, pod.uid) };
  const pid = await runtime.runDetached(id, bundle, { logFile: logPath, exitFile, pidFile: path.join(bundle, 'pid'), owner });
  rollback.add('pause container', () => destroyContainer(runtime, id, exitFile, pid, 0));
  await moveShimIntoPod(pod, pid);
  const startTime = processStartTime(pid);
  const namespaces = {} as Record<NamespaceName, { path: string; inode: number }>;
  for (const ns of NAMESPACES) {
    const file = `/proc/${pid}/ns/${ns}`;
    const inode = namespaceInode(file);
    if (inode === undefined || startTime === undefined) {
      throw new NspodError('PAUSE_GONE', 'the pause container exited right after it started', { hint: `see ${logPath}` });
    }
    namespaces[ns] = { path: file, inode };
  }
  return { id, pid, startTime: startTime!, bundle, logPath, exitFile, namespaces };
}

/** A Guaranteed pod where nspod may not lower oom_score_adj (no CAP_SYS_RESOURCE): what its containers get instead. */
export function oomScoreAdjWarnings(spec: PodSpec, host: HostSpecFacts): string[] {
  if (podQosClass(spec) !== 'Guaranteed' || host.oomScoreAdjMin <= GUARANTEED_OOM_SCORE_ADJ) return [];
  return [
    `qosClass Guaranteed: its containers get oom_score_adj ${host.oomScoreAdjMin}, not ${GUARANTEED_OOM_SCORE_ADJ}: nspod runs without CAP_SYS_RESOURCE here, and may not go below its own`,
  ];
}

/** A container's shim (its parent: the subreaper it was handed to) joins the pod's supervisors cgroup; returns who it is. */
async function moveShimIntoPod(pod: Pick<PodRecord, 'name' | 'uid'>, containerPid: number): Promise<ProcessIdentity | undefined> {
  // Right after `run -d` the parent can still be the runtime's own process (crun), not yet the subreaper shim.
  let shim = parentPid(containerPid);
  for (let i = 0; i < 100 && shim !== undefined && shim !== 1 && processName(shim) !== 'nspod-shim'; i++) {
    await new Promise((r) => setTimeout(r, 10));
    shim = parentPid(containerPid);
  }
  if (shim === undefined || shim === 1 || processName(shim) !== 'nspod-shim') return undefined;
  const startTime = processStartTime(shim);
  await moveIntoCgroup(shim, supervisorsCgroupPath(podCgroupName(pod.name, pod.uid)));
  return startTime === undefined ? undefined : { pid: shim, startTime };
}

/** Moves a supervisor of the pod (its prober) into the pod's supervisors cgroup. */
export async function moveSupervisorIntoPod(pod: Pick<PodRecord, 'name' | 'uid'>, pid: number): Promise<void> {
  await moveIntoCgroup(pid, supervisorsCgroupPath(podCgroupName(pod.name, pod.uid)));
}

/**
 * Removes the pod's cgroups once its containers are gone. What is left in its supervisors cgroup (a shim
 * exiting, an exit command waiting out a back-off) has nothing more to do for a pod being removed: it is ended.
 */
export async function removePodCgroups(pod: Pick<PodRecord, 'name' | 'uid'>): Promise<void> {
  const cgroup = podCgroupName(pod.name, pod.uid);
  await killCgroupProcesses(supervisorsCgroupPath(cgroup));
  await removeCgroupDirs(`nspod/${cgroup}`);
}

/** PID-reuse guard: the pid must still be the pod's pause, with the namespaces recorded. */
export function assertPauseIsOurs(pod: PodRecord): PauseRecord {
  const pause = pod.pause;
  if (!pause) throw new NspodError('PAUSE_GONE', `pod ${pod.name} has no pause container`);
  const same =
    isProcessAlive(pause) &&
    (['net', 'ipc', 'uts', 'pid'] as const).every((ns) => namespaceInode(pause.namespaces[ns].path) === pause.namespaces[ns].inode);
  if (!same) {
    const why = `the pod has failed and no container may join pid ${pause.pid}'s namespaces`;
    throw new NspodError('PAUSE_GONE', `the pause of pod ${pod.name} (pid ${pause.pid}) is gone: ${why}`, {
      hint: `remove the pod (nspod rm -f ${pod.name}) and create it again`,
    });
  }
  return pause;
}

/** Where a container's runtime id, dir, bundle, pid and exit records are: known before it is made (the prober is told them first). */
export function containerFiles(
  pod: Pick<PodRecord, 'name' | 'dir'>,
  name: string,
): { id: string; dir: string; bundle: string; pidFile: string; exitFile: string } {
  const dir = containerDir(pod.dir, name);
  return {
    id: `${pod.name}.${name}`,
    dir,
    bundle: path.join(dir, 'bundle'),
    pidFile: path.join(dir, 'pid'),
    exitFile: path.join(dir, 'exit'),
  };
}

/**
 * Dirs, overlay rootfs and a validated bundle: the record of a container not started yet. Its env is made now, from
 * the ConfigMaps and Secrets of `root` as they are (a restart sees their changes, as in Kubernetes).
 */
export async function prepareContainer(
  pod: PodRecord,
  root: string,
  image: RunnableContainer,
  init: boolean,
  restartCount: number,
  rollback: Rollback,
): Promise<ContainerRecord> {
  const { container: c, lowerdir } = image;
  const facts = podFacts(pod);
  const asRun = containerAsRun(pod.spec, c, image.defaults, facts, await new ConfigStore(root).lookupFor(pod.spec));
  for (const warning of asRun.warnings)
    await appendEvent(pod.dir, { type: 'Warning', reason: 'InvalidEnvironmentVariableNames', container: c.name, message: warning });
  const files = containerFiles(pod, c.name);
  const { bundle } = files;
  const record: ContainerRecord = {
    ...files,
    name: c.name,
    init,
    ...(!init && sidecars(pod.spec).some((s) => s.name === c.name) ? { sidecar: true } : {}),
    rootfs: path.join(bundle, 'rootfs'),
    lowerdir,
    // On the data root with the writable layers: the kubelet keeps logs on disk too (/var/log/pods), not in /run.
    logPath: path.join(pod.dataDir ?? pod.dir, 'logs', `${c.name}.log`),
    restartCount,
    spec: c,
    image: image.defaults,
  };
  // The writable layer is on the data root (disk); the bundle and the overlay's mount point stay in the pod dir.
  const data = path.join(pod.dataDir ?? pod.dir, 'containers', c.name);
  const [upper, work] = [path.join(data, 'upper'), path.join(data, 'work')];
  // Every run of a container starts on a fresh writable layer, as in Kubernetes (volumes keep what it wrote), and the
  // last run's log becomes the previous one (`nspod logs --previous`); the run before it goes.
  await Promise.all([upper, work].map((d) => rm(d, { recursive: true, force: true })));
  await rename(record.logPath, previousLogPath(record.logPath)).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
  // Root's alone (the pod dir is 0700 too), but for the overlay's upper dir and mount point: the rootfs' `/` takes its mode.
  await mkdir(bundle, { recursive: true, mode: 0o700 });
  await mkdir(path.dirname(record.logPath), { recursive: true, mode: 0o700 });
  await mkdir(data, { recursive: true, mode: 0o700 });
  await mkdir(work, { recursive: true, mode: 0o700 });
  await Promise.all([upper, record.rootfs].map((d) => mkdir(d, { recursive: true, mode: 0o755 })));
  await mountOverlay(lowerdir, upper, work, record.rootfs);
  rollback.add(`rootfs of ${c.name}`, () => unmountAll(record.rootfs));
  // The spec joins the pause's namespaces through its pid: it must still be our pause.
  const pause = assertPauseIsOurs(pod);
  const { shareProcessNamespace, hostNetwork } = pod.spec;
  const host = hostSpecFacts(pod.runtime.binary, pod.runtime.root);
  const sources = { images: new Map(Object.entries(pod.imageVolumes ?? {})), env: asRun.env, recursiveReadOnly: host.recursiveReadOnly };
  const subPaths = await prepareSubPaths(pod, pod.spec, c, sources);
  const seccomp = await containerSeccomp(pod.spec, c, resolveSeccompRoot(pod.seccompRoot));
  const user = await processUser(pod.spec, asRun.container, lowerdir);
  record.user = { uid: user.uid, gid: user.gid };
  await writeSiblingBundle(bundle, {
    pod: { name: pod.name, hostname: podHostname(pod.spec), cgroup: podCgroupName(pod.name, pod.uid), shareProcessNamespace, hostNetwork },
    container: asRun.container,
    env: asRun.env,
    pause: pauseNamespacePaths(pause.pid),
    rootfs: record.rootfs,
    nofileHardLimit: nofileHardLimit(),
    extraMounts: podMounts(pod, pod.spec, c, { ...sources, subPaths }),
    oomScoreAdj: containerOomScoreAdj(podQosClass(pod.spec), c, facts.memoryBytes),
    pidsLimit: podPidsLimit(pod.spec.annotations, pod.pidsLimit),
    host,
    swapAccounting: swapAccounting(),
    seccomp,
    user,
    lsm: containerLsm(pod.spec, c, hostLsm()),
  });
  // An exit record left by the last run would say this one exited; its message is not this run's either.
  await rm(record.exitFile, { force: true });
  await prepareTerminationLog(terminationLogFile(record.dir));
  return record;
}

/**
 * Starts a prepared container under its shim (with the exit command when the supervisor wants it),
 * registers its undo and puts it into the pod record's list.
 */
export async function startPrepared(
  pod: { record: PodRecord; runtime: Runtime; root: string },
  container: ContainerRecord,
  rollback: Rollback,
): Promise<ContainerRecord> {
  const { record, runtime } = pod;
  const name = container.name;
  await appendEvent(record.dir, { type: 'Normal', reason: 'Created', container: name, message: `created container ${name}` });
  // Once more right before the start: the pause may have died while the bundle was written.
  assertPauseIsOurs(record);
  const wakes = wantsExitCommand(record, container);
  try {
    container.pid = await runtime.runDetached(container.id, container.bundle, {
      logFile: container.logPath,
      exitFile: container.exitFile,
      pidFile: container.pidFile,
      logRotation: record.logRotation,
      ...(wakes ? { exitCommand: exitCommand(pod.root, record.name, name), exitCommandSkipFile: stoppingMarker(record.dir) } : {}),
    });
  } catch (e) {
    await runtime.delete(container.id, { force: true }).catch(() => undefined);
    throw NspodError.wrap(e, `container ${name} failed to start`, 'RUNTIME_FAILED');
  }
  container.startedAt = new Date().toISOString();
  await appendEvent(record.dir, {
    type: 'Normal',
    reason: 'Started',
    container: name,
    message: `started container ${name} (pid ${container.pid})`,
  });
  rollback.add(`container ${name}`, () => destroyContainer(runtime, container.id, container.exitFile, container.pid!, 0));
  // Who reaps it and writes its exit record: gc records the exit of a container whose shim died (ShimLost).
  const shim = await moveShimIntoPod(record, container.pid);
  if (shim) container.shim = shim;
  record.containers = [...record.containers.filter((r) => r.name !== name), container];
  return container;
}

/** The stop signal (TERM unless told; KILL at once when grace is 0), wait for the shim's exit record, KILL, delete. */
export async function destroyContainer(
  runtime: Runtime,
  id: string,
  exitFile: string,
  pid: number,
  graceMs: number,
  signal = 'TERM',
): Promise<void> {
  const alive = () => isAlive(pid);
  if (alive()) {
    if (graceMs > 0) {
      await runtime.kill(id, signal);
      await waitForFile(exitFile, graceMs, alive).catch(() => false);
    }
    if (alive()) {
      await runtime.kill(id, 'KILL');
      await waitForFile(exitFile, 10_000, alive).catch(() => false);
    }
  }
  await runtime.delete(id, { force: true });
}
