/**
 * The pod lifecycle: the only place that orders side effects.
 *
 * create: claim the name → pause bundle → pause under its shim → record its
 * identity → per container: overlay rootfs, sibling bundle, start under a
 * shim → save. Each step registers its undo the moment it succeeds, so a
 * failure at step N undoes N-1..1 and leaves nothing behind.
 */
import { mkdir, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { NspodError } from '../errors.js';
import { assets, resolveStateRoot } from '../paths.js';
import { writePauseBundle } from '../oci/pause.js';
import { buildSiblingSpec } from '../oci/sibling.js';
import { assertValidSpec } from '../oci/validate.js';
import { pauseNamespacePaths } from '../oci/spec.js';
import { cgroupsPath, podCgroupName } from '../oci/common.js';
import { randomBytes } from 'node:crypto';
import { Runtime, type ExecOptions, type ExecResult } from '../runtime/runtime.js';
import { resolveImage, type UnpackEvent } from '../image/resolve.js';
import { withImageDefaults, type ImageDefaults } from '../image/config.js';
import { validatePodSpec, type ContainerSpec, type PodSpec } from '../spec/spec.js';
import {
  StateRoot,
  type ContainerRecord,
  type NamespaceName,
  type PauseRecord,
  type PodRecord,
} from './store.js';
import {
  attachPodNetwork,
  cniContainerId,
  detachPodNetwork,
  networkStatus,
  planPodNetwork,
  type NetworkPlan,
} from '../network/attachment.js';
import type { NetworkOptions } from '../network/config.js';
import { currentProcessIdentity, isAlive, namespaceInode, nofileHardLimit, processStartTime } from '../host/proc.js';
import { mountOverlay, unmountAll } from '../host/mounts.js';
import { removeCgroupDirs } from '../host/cgroups.js';
import { waitForFile } from '../host/files.js';
import { appendEvent, readEvents, recordExits, type PodEvent } from './events.js';
import { logTail } from './logs.js';
import { hasProbes } from '../probe/config.js';
import { startProber, stopProber } from '../probe/prober.js';
import { waitReady, type WaitOptions } from './wait.js';
import { catchUpExits, exitCommand, onContainerExit, stoppingMarker, wantsExitCommand, type SupervisedPod } from './supervisor.js';
import { podHostname, podMounts, writeNetworkedPodFiles, writePodFiles } from './files.js';
import { Rollback, StepLog } from './steps.js';
import { readExitRecord, readPodStatus, type PodStatus } from './status.js';
export type { ContainerState, ContainerStatus, ExitRecord, PodStatus } from './status.js';

export interface PodOptions extends NetworkOptions {
  /** State root; default env NSPOD_ROOT, else /run/nspod. */
  root?: string | undefined;
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
  /** Remove the pod once every app container has exited for good (`nspod run -d --rm`). */
  removeWhenDone?: boolean | undefined;
  /** The image cache; default env NSPOD_IMAGE_ROOT, else /var/lib/nspod/images. */
  imageRoot?: string | undefined;
  /** Show image unpack progress on stderr. Default false: the API is quiet. */
  progress?: boolean | undefined;
  /** Called when an image is unpacked into the cache (not when the cache already had it). */
  onImageUnpack?: ((event: UnpackEvent) => void) | undefined;
}

export interface StopOptions {
  /** Seconds between TERM and KILL; default: the spec's terminationGracePeriodSeconds, else 30. */
  gracePeriodSeconds?: number;
}

const NAMESPACES: NamespaceName[] = ['net', 'ipc', 'uts', 'pid', 'mnt'];

export function resolvePodOptions(options: PodOptions = {}): { root: string; runtime: string | undefined; cwd: string } {
  return {
    root: resolveStateRoot(options.root),
    runtime: options.runtime ?? process.env.NSPOD_RUNTIME,
    cwd: options.cwd ?? process.cwd(),
  };
}

/** A pod: a pause container holding the namespaces, and app containers joined to them. */
export class Pod implements AsyncDisposable {
  private constructor(
    private record: PodRecord,
    private readonly store: StateRoot,
    readonly runtime: Runtime,
  ) {}

  get name(): string {
    return this.record.name;
  }

  get spec(): PodSpec {
    return this.record.spec;
  }

  /** The pod's cgroup directory under /nspod in every hierarchy. */
  get cgroup(): string {
    return podCgroupName(this.record.name, this.record.uid);
  }

  get dir(): string {
    return this.record.dir;
  }

  /** The pause's pid: the handle on every namespace of the pod. */
  get pausePid(): number {
    if (!this.record.pause) throw new NspodError('PAUSE_GONE', `pod ${this.name} has no pause container`);
    return this.record.pause.pid;
  }

  /** Creates and starts a pod. On any failure, everything already made is undone and the cause is thrown. */
  static async create(spec: PodSpec, options: PodOptions = {}): Promise<Pod> {
    const opts = resolvePodOptions(options);
    validatePodSpec(spec);
    const runtime = Runtime.find(opts.runtime);
    const store = new StateRoot(opts.root);
    const runtimeRoot = store.runtimeRoot(runtime.name);
    const boundRuntime = new Runtime({ runtime: runtime.binary, root: runtimeRoot });
    // Images resolve before anything is made: a missing rootfs leaves no trace.
    const images = new Map<string, { rootfs: string; defaults: ImageDefaults }>();
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      if (!images.has(c.image)) images.set(c.image, await resolveImage(c.image, { cwd: opts.cwd, imageRoot: options.imageRoot, progress: options.progress, onUnpack: options.onImageUnpack }));
    }
    // The network is checked before anything is made too: its config, and hostPorts other pods hold.
    const networkPlan = await planPodNetwork(spec, opts.root, options, store.portsHeldByPods());
    const rollback = new Rollback();
    const dir = await store.claim(spec.name);
    rollback.add('state dir', () => store.release(spec.name));
    const record: PodRecord = {
      version: 1,
      name: spec.name,
      uid: randomBytes(4).toString('hex'),
      createdAt: new Date().toISOString(),
      creator: currentProcessIdentity(),
      phase: 'Creating',
      spec,
      dir,
      runtime: { name: boundRuntime.name, binary: boundRuntime.binary, root: runtimeRoot },
      containers: [],
      networkMode: networkPlan.mode,
      supervised: options.supervise !== false,
      ...(options.removeWhenDone ? { removeWhenDone: true } : {}),
    };
    const pod = new Pod(record, store, boundRuntime);
    try {
      // Saved first: from here on gc can tell a pod being made from one whose creator died.
      await store.save(record);
      await mkdir(runtimeRoot, { recursive: true, mode: 0o700 });
      await writePodFiles(pod.dir, spec);
      await pod.startPause(rollback);
      await store.save(record);
      if (networkPlan.mode === 'cni') {
        await pod.attachNetwork(networkPlan, rollback);
        await store.save(record);
      }
      for (const c of spec.initContainers ?? []) {
        await pod.runInitContainer(withImageDefaults(c, images.get(c.image)!.defaults), images.get(c.image)!.rootfs, rollback);
      }
      // Apps start side by side; all of them settle before a failure rolls back, so no undo is missed.
      const started = await Promise.allSettled(
        spec.containers.map((c) => pod.startContainer(withImageDefaults(c, images.get(c.image)!.defaults), images.get(c.image)!.rootfs, rollback)),
      );
      const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
      if (spec.containers.some(hasProbes)) await pod.startProber(rollback);
      record.phase = 'Running';
      await store.save(record);
      catchUpExits(pod.record, store.root);
      return pod;
    } catch (e) {
      const failures = await rollback.run();
      await removeCgroupDirs(`nspod/${podCgroupName(spec.name, record.uid)}`).catch(() => undefined);
      const error = NspodError.wrap(e, `pod ${spec.name}`);
      if (failures.length > 0) error.message += `; rollback also failed: ${failures.join('; ')}`;
      throw error;
    }
  }

  /** Opens a pod another process (or this one) created. */
  static async load(name: string, options: PodOptions = {}): Promise<Pod> {
    const opts = resolvePodOptions(options);
    const store = new StateRoot(opts.root);
    const record = await store.load(name);
    if (!record) {
      throw new NspodError('POD_NOT_FOUND', `no pod named ${JSON.stringify(name)} in ${opts.root}`, { hint: 'nspod ps lists the pods' });
    }
    return new Pod(record, store, new Runtime({ runtime: record.runtime.binary, root: record.runtime.root }));
  }

  /** Names of the pods under a state root. */
  static async list(options: PodOptions = {}): Promise<string[]> {
    return await new StateRoot(resolvePodOptions(options).root).names();
  }

  private async startPause(rollback: Rollback): Promise<void> {
    const bundle = path.join(this.dir, 'pause');
    await writePauseBundle(bundle, {
      hostname: podHostname(this.spec),
      cgroupsPath: cgroupsPath(this.cgroup, 'pause'),
      nofileHardLimit: nofileHardLimit(),
      pauseBinary: assets.pauseBinary,
      hostNetwork: this.spec.hostNetwork === true,
      annotations: { 'io.kubernetes.pod.name': this.name, 'io.kubernetes.container.name': 'POD' },
    });
    const id = this.name;
    const exitFile = path.join(bundle, 'exit');
    const logPath = path.join(bundle, 'pause.log');
    const pid = await this.runtime.runDetached(id, bundle, { logFile: logPath, exitFile, pidFile: path.join(bundle, 'pid') });
    rollback.add('pause container', () => this.destroyContainer(id, exitFile, pid, 0));
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
    this.record.pause = { id, pid, startTime: startTime!, bundle, logPath, exitFile, namespaces };
  }

  /** The pod's nspod-prober: probes run with no Node process resident. */
  private async startProber(rollback: Rollback): Promise<void> {
    const r = this.record;
    const specs = new Map(this.spec.containers.map((c) => [c.name, c]));
    this.record.prober = await startProber({
      podDir: r.dir,
      runtime: { binary: r.runtime.binary, root: r.runtime.root },
      netns: r.network?.pin ?? `/proc/${this.pausePid}/ns/net`,
      pausePid: this.pausePid,
      containers: r.containers.filter((c) => !c.init && hasProbes(specs.get(c.name)!)).map((c) => ({ spec: specs.get(c.name)!, id: c.id, pidFile: c.pidFile, exitFile: c.exitFile })),
    });
    rollback.add('prober', () => stopProber(this.record.prober));
  }

  /** Pins the pause's netns, CNI ADD on the pin, caches the attachment; the pod IP goes into /etc/hosts. */
  private async attachNetwork(plan: NetworkPlan, rollback: Rollback): Promise<void> {
    const pause = this.record.pause!;
    this.record.network = await attachPodNetwork({
      root: this.store.root,
      pod: this.name,
      podUid: this.record.uid,
      netnsSource: pause.namespaces.net.path,
      pin: path.join(this.dir, 'netns'),
      plan,
      onUndo: (what, undo) => rollback.add(what, undo),
    });
    const podIP = networkStatus('cni', this.record.network).podIP;
    await writeNetworkedPodFiles(this.dir, this.spec, podIP, this.record.network.result?.dns);
  }

  /** PID-reuse guard: the pid must still be our pause, with the namespaces we recorded. */
  private assertPauseIsOurs(): PauseRecord {
    const pause = this.record.pause;
    if (!pause) throw new NspodError('PAUSE_GONE', `pod ${this.name} has no pause container`);
    const same =
      processStartTime(pause.pid) === pause.startTime &&
      isAlive(pause.pid) &&
      (['net', 'ipc', 'uts', 'pid'] as const).every((ns) => namespaceInode(pause.namespaces[ns].path) === pause.namespaces[ns].inode);
    if (!same) {
      throw new NspodError('PAUSE_GONE', `the pause of pod ${this.name} (pid ${pause.pid}) is gone: the pod has failed and no container may join pid ${pause.pid}'s namespaces`, {
        hint: `remove the pod (nspod rm -f ${this.name}) and create it again`,
      });
    }
    return pause;
  }

  /** Overlay rootfs, sibling bundle, start under a shim. Returns the new record (already in pod.json's list). */
  private async launch(c: ContainerSpec, lowerdir: string, init: boolean, rollback: Rollback, restartCount = 0): Promise<ContainerRecord> {
    const dir = path.join(this.dir, 'containers', c.name);
    const bundle = path.join(dir, 'bundle');
    const rootfs = path.join(bundle, 'rootfs');
    const logsDir = path.join(this.dir, 'logs');
    await Promise.all([mkdir(path.join(dir, 'upper'), { recursive: true }), mkdir(path.join(dir, 'work'), { recursive: true }), mkdir(rootfs, { recursive: true }), mkdir(logsDir, { recursive: true })]);
    await mountOverlay(lowerdir, path.join(dir, 'upper'), path.join(dir, 'work'), rootfs);
    rollback.add(`rootfs of ${c.name}`, () => unmountAll(rootfs));
    const pause = this.assertPauseIsOurs();
    const spec = buildSiblingSpec({
      pod: { name: this.name, hostname: podHostname(this.spec), cgroup: this.cgroup, shareProcessNamespace: this.spec.shareProcessNamespace, hostNetwork: this.spec.hostNetwork },
      container: c,
      pause: pauseNamespacePaths(pause.pid),
      rootfs,
      nofileHardLimit: nofileHardLimit(),
      extraMounts: podMounts(this.dir, this.spec, c),
    });
    assertValidSpec(spec, `container ${c.name}`);
    await writeFile(path.join(bundle, 'config.json'), JSON.stringify(spec, null, 2), { mode: 0o600 });
    await appendEvent(this.dir, { type: 'Normal', reason: 'Created', container: c.name, message: `created container ${c.name}` });
    const record: ContainerRecord = {
      name: c.name,
      id: `${this.name}.${c.name}`,
      init,
      dir,
      bundle,
      rootfs,
      lowerdir,
      logPath: path.join(logsDir, `${c.name}.log`),
      exitFile: path.join(dir, 'exit'),
      pidFile: path.join(dir, 'pid'),
      restartCount,
    };
    record.spec = c;
    await rm(record.exitFile, { force: true });
    this.assertPauseIsOurs();
    const supervise = wantsExitCommand(this.record, init);
    try {
      record.pid = await this.runtime.runDetached(record.id, bundle, {
        logFile: record.logPath,
        exitFile: record.exitFile,
        pidFile: record.pidFile,
        ...(supervise ? { exitCommand: exitCommand(this.store.root, this.name, c.name), exitCommandSkipFile: stoppingMarker(this.dir) } : {}),
      });
    } catch (e) {
      await this.runtime.delete(record.id, { force: true }).catch(() => undefined);
      throw NspodError.wrap(e, `container ${c.name} failed to start`, 'RUNTIME_FAILED');
    }
    record.startedAt = new Date().toISOString();
    await appendEvent(this.dir, { type: 'Normal', reason: 'Started', container: c.name, message: `started container ${c.name} (pid ${record.pid})` });
    rollback.add(`container ${c.name}`, () => this.destroyContainer(record.id, record.exitFile, record.pid!, 0));
    this.record.containers = [...this.record.containers.filter((r) => r.name !== c.name), record];
    return record;
  }

  private async startContainer(c: ContainerSpec, lowerdir: string, rollback: Rollback): Promise<void> {
    await this.launch(c, lowerdir, false, rollback);
  }

  /** An init container runs to completion before the apps; a non-zero exit fails the pod. */
  private async runInitContainer(c: ContainerSpec, lowerdir: string, rollback: Rollback): Promise<void> {
    const record = await this.launch(c, lowerdir, true, rollback);
    await waitForFile(record.exitFile, 24 * 3600_000, () => isAlive(record.pid!));
    const exit = await readExitRecord(record.exitFile);
    await this.runtime.delete(record.id, { force: true });
    await unmountAll(record.rootfs);
    if (!exit || exit.exitCode !== 0) {
      const tail = await logTail(record.logPath, 5);
      throw new NspodError('RUNTIME_FAILED', `init container ${c.name} exited with code ${exit?.exitCode ?? 'unknown'}${tail ? `: ${tail}` : ''}`);
    }
  }

  /** TERM (or KILL at once when grace is 0), wait for the shim's exit record, KILL, delete. */
  private async destroyContainer(id: string, exitFile: string, pid: number, graceMs: number): Promise<void> {
    const alive = () => isAlive(pid);
    if (alive()) {
      if (graceMs > 0) {
        await this.runtime.kill(id, 'TERM');
        await waitForFile(exitFile, graceMs, alive).catch(() => false);
      }
      if (alive()) {
        await this.runtime.kill(id, 'KILL');
        await waitForFile(exitFile, 10_000, alive).catch(() => false);
      }
    }
    await this.runtime.delete(id, { force: true });
  }

  /** Reads the pod's state: pause, namespaces, and each container's state from its shim's records. */
  async status(): Promise<PodStatus> {
    const fresh = await this.store.load(this.name);
    if (fresh) this.record = fresh;
    return await readPodStatus(this.record);
  }

  /** The container `name` means: that one, else the pod's first app container (as kubectl takes it: the spec's first). */
  private containerRecord(name?: string): ContainerRecord {
    const meant = name ?? this.spec.containers[0]?.name;
    const found = this.record.containers.find((c) => c.name === meant);
    if (!found) {
      throw new NspodError('CONTAINER_NOT_FOUND', `pod ${this.name} has no container ${JSON.stringify(meant)}`, {
        hint: `its containers: ${this.record.containers.map((c) => c.name).join(', ')}`,
      });
    }
    return found;
  }

  /** The status of the container `name` means (default: the first app container); CONTAINER_NOT_FOUND lists the pod's. */
  async container(name?: string): Promise<ContainerStatus> {
    const status = await this.status();
    const meant = this.containerRecord(name).name;
    return status.containers.find((c) => c.name === meant)!;
  }

  /**
   * The pause's pid, checked to still be our pause: the handle for running a
   * host program in the pod's namespaces (`nsenter -t <pid> -n -u -i`).
   */
  debugTarget(): { pid: number; sharedPid: boolean; hostNetwork: boolean } {
    const pause = this.assertPauseIsOurs();
    return { pid: pause.pid, sharedPid: this.spec.shareProcessNamespace === true, hostNetwork: this.spec.hostNetwork === true };
  }

  /** Runs a command in a container (the first app container when none is named). */
  async exec(container: string | undefined, command: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const c = this.containerRecord(container);
    // As the container's own user (as kubectl exec does): runc defaults to it, crun to root.
    const user = options.user ?? c.spec?.user;
    return await this.runtime.exec(c.id, command, user ? { ...options, user } : options);
  }

  /** Reads pod.json again; a pod of the same name created since (another uid) is not this one. */
  private async reload(): Promise<void> {
    const fresh = await this.store.load(this.name);
    if (!fresh || fresh.uid !== this.record.uid) throw new NspodError('POD_NOT_FOUND', `pod ${this.name} (uid ${this.record.uid}) is gone`);
    this.record = fresh;
  }

  /** Is this pod's state still on disk (and not replaced by a newer pod of the same name)? */
  private async stillExists(): Promise<boolean> {
    const fresh = await this.store.load(this.name).catch(() => undefined);
    return fresh !== undefined && fresh.uid === this.record.uid;
  }

  /** Starts a container that is not running (after it exited or was killed): it joins the same pause. */
  async restartContainer(name: string): Promise<void> {
    await this.store.withLock(this.name, async () => {
      await this.reload();
      await this.restartLocked(name);
    });
  }

  private async restartLocked(name: string): Promise<void> {
    const old = this.containerRecord(name);
    const declared = this.spec.containers.find((c) => c.name === name);
    if (!declared || old.init) throw new NspodError('CONTAINER_NOT_FOUND', `pod ${this.name} has no app container ${name}`);
    this.assertPauseIsOurs();
    // The exit this run ends is told before its record goes.
    await recordExits(this.dir, [old]);
    await this.destroyContainer(old.id, old.exitFile, old.pid ?? 0, 0);
    await unmountAll(old.rootfs);
    const rollback = new Rollback();
    try {
      await this.launch(old.spec ?? declared, old.lowerdir, false, rollback, old.restartCount + 1);
    } catch (e) {
      await rollback.run();
      throw e;
    }
    await this.store.save(this.record);
  }

  /** The supervisor's step after an app container exited (supervisor.ts): a restart, the pod's removal, or nothing. */
  async onContainerExit(name: string): Promise<'restarted' | 'left' | 'removed' | 'ignored'> {
    const pod: SupervisedPod = {
      name: this.name,
      dir: this.dir,
      locked: (fn) => this.store.withLock(this.name, async () => {
        await this.reload();
        return await fn(this.record);
      }),
      save: (record) => this.store.save(record),
      restartLocked: (container) => this.restartLocked(container),
      remove: (options) => this.remove(options),
    };
    return await onContainerExit(pod, name);
  }

  /**
   * Stops the pod: apps get TERM, then KILL after the grace period, and are
   * deleted; the pause goes last. The state dir stays (logs) until remove().
   */
  async stop(options: StopOptions = {}): Promise<void> {
    // Already removed (or replaced by a newer pod of the same name): nothing of ours is left to stop.
    if (!(await this.stillExists())) return;
    const graceMs = 1000 * (options.gracePeriodSeconds ?? this.spec.terminationGracePeriodSeconds ?? 30);
    // From here on no exit restarts anything: the shims see the marker, the supervisor the phase.
    await writeFile(stoppingMarker(this.dir), '');
    await this.store.withLock(this.name, async () => {
      await this.reload();
      if (this.record.phase !== 'Stopped') this.record.phase = 'Stopping';
      await this.store.save(this.record);
    });
    // Every step is tried even when one fails, so one stuck piece never keeps the rest alive; the failures are thrown at the end.
    const log = new StepLog();
    const attempt = (what: string, step: () => Promise<unknown>) => log.attempt(what, step);
    // The prober goes first: it would kill containers whose probes fail while they stop.
    await attempt('prober', () => stopProber(this.record.prober));
    await Promise.all(
      this.record.containers.map(async (c) => {
        await attempt(`container ${c.name}`, () => this.destroyContainer(c.id, c.exitFile, c.pid ?? 0, graceMs));
        await attempt(`rootfs of ${c.name}`, () => unmountAll(c.rootfs));
      }),
    );
    // CNI DEL while the pinned netns still holds the pod's interface, before the pause goes.
    // When it fails the attachment record stays, so gc (or the next stop) can try again.
    await attempt('network', async () => {
      if (await detachPodNetwork(this.store.root, cniContainerId(this.name, this.record.uid), this.record.network)) {
        this.record.network = undefined;
        await this.store.save(this.record);
      }
    });
    const pause = this.record.pause;
    if (pause) await attempt('pause container', () => this.destroyContainer(pause.id, pause.exitFile, pause.pid, 1000));
    await attempt('mounts', () => unmountAll(this.dir));
    await attempt('cgroups', () => removeCgroupDirs(`nspod/${this.cgroup}`));
    this.record.phase = 'Stopped';
    await this.store.save(this.record);
    await rm(stoppingMarker(this.dir), { force: true });
    if (log.failures.length > 0) {
      throw new NspodError('RUNTIME_FAILED', `stopping pod ${this.name}: ${log.failures.join('; ')}`, { hint: `what is left is released by nspod gc or another nspod rm -f ${this.name}` });
    }
  }

  /** The pod's events, oldest first (the last 200), with the exits its shims recorded. */
  async events(): Promise<PodEvent[]> {
    await recordExits(this.dir, this.record.containers);
    return await readEvents(this.dir);
  }

  /** Resolves when the pod is Ready; rejects with TIMEOUT naming the unready container and its last probe output. */
  async waitReady(options: WaitOptions = {}): Promise<PodStatus> {
    return await waitReady(this, options);
  }

  /** Stops the pod if needed and removes its state dir. */
  async remove(options: StopOptions = {}): Promise<void> {
    await this.stop(options);
    if (await this.stillExists()) await this.store.release(this.name);
  }

  /** `await using pod = await Pod.create(...)`: the pod is removed at the end of the scope, with no grace. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.remove({ gracePeriodSeconds: 0 });
  }
}
