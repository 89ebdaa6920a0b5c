/**
 * The pod lifecycle: the only place that orders side effects.
 *
 * create: options and runtime → every image resolved → network plan (config, hostPorts held) →
 * claim the name (its undo runs last, and releases it only when every other undo succeeded) →
 * record saved as Creating (gc's contract) → pod files (files.ts) → pause under its shim → CNI
 * attachment → prober (when a sidecar or app has probes) → init containers in order (each to completion; a sidecar until
 * it has started) → app containers side by side → Running → deadline timer (activeDeadlineSeconds). Each step registers its undo the moment it succeeds (steps.ts), so a failure at step
 * N undoes N-1..1; an undo that fails leaves the dir and record for nspod gc (gc.ts).
 * stop: stopping marker (no restarts) → prober, deadline timer → apps (preStop, stop signal, KILL after the grace period,
 * delete, unmount) → sidecars, the last started first → CNI DEL (while the pin holds the netns) → pause → mounts → cgroups → Stopped; every
 * step is tried. Status (status.ts) and the exit-command supervisor (supervisor.ts) live apart.
 */
import { rm, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { NspodError, errorMessage, isNspodError } from '../errors.js';
import { podCgroupName } from '../oci/common.js';
import { Runtime, type ExecOptions, type ExecResult } from '../runtime/runtime.js';
import { validatePodSpec, type PodSpec } from '../spec/spec.js';
import {
  attachPodNetwork,
  cniContainerId,
  detachPodNetwork,
  networkStatus,
  planPodNetwork,
  type NetworkPlan,
} from '../network/attachment.js';
import { hostPortOf } from '../network/ports.js';
import { currentProcessIdentity, isAlive, isProcessAlive, type ProcessIdentity } from '../host/proc.js';
import { unmountAll } from '../host/mounts.js';
import { ensurePrivateDir, waitForFile } from '../host/files.js';
import { testPoint } from '../host/testpoint.js';
import { hasProbes } from '../probe/config.js';
import { probesDir, readProbeStatus, startProber, stopProber, type ProberRecord } from '../probe/prober.js';
import { isSidecar, restartBackoffMs, runningContainerSpec, sidecars } from '../spec/restart.js';
import { PROBE_DEFAULTS, type ContainerSpec } from '../spec/spec.js';
import { previousLogOf, StateRoot, type ContainerRecord, type PodRecord } from './store.js';
import { appendEvent, exitMessage, readEvents, recordExits, recordProberLost, type PodEvent } from './events.js';
import { readEffectiveSecurity, type EffectiveSecurity } from './effective.js';
import { lineJoiner, LogFollower, logTailForError, streamLog, type LogEntry, type LogStreamOptions } from './logs.js';
import { until, waitReady, type WaitOptions } from './wait.js';
import {
  currentRunExit,
  followOver,
  LOST_EXIT_CODE,
  proberLost,
  readExitRecord,
  readPodStatus,
  type ContainerStatus,
  type ExitRecord,
  type PodStatus,
} from './status.js';
import { writeJsonAtomic } from '../host/files.js';
import { readOnlyWarnings, refuseHostPathsOverNspodDirs, writeNetworkedPodFiles, writePodFiles } from './files.js';
import { securityWarnings } from '../spec/risks.js';
import { oomScoreAdjWarnings } from './container.js';
import { hostSpecFacts } from '../runtime/features.js';
import type { RunnableContainer } from './images.js';
import { keepsStateDir, Rollback, StepLog } from './steps.js';
import { DEADLINE_MESSAGE, DEADLINE_REASON, startDeadlineTimer, stopDeadlineTimer } from './deadline.js';
import {
  appsDoneForGood,
  catchUpExits,
  onContainerExit,
  readStoppingMarker,
  stoppingMarker,
  type StoppingMarker,
  type SupervisedPod,
  wakeSupervisor,
} from './supervisor.js';
import {
  assertPauseIsOurs,
  containerFiles,
  destroyContainer,
  moveSupervisorIntoPod,
  removePodCgroups,
  prepareContainer,
  startPause,
  startPrepared,
} from './container.js';
import { ownerIdentity, resolvePodOptions, type PodOptions, type StopOptions } from './options.js';
import { ConfigStore } from './configs.js';
import { specDifference, specHash } from './reuse.js';
import { runPostStart, stopContainer } from './lifecycle.js';
import { checkPodConfig, podFacts } from './env.js';
import { nodeFacts } from '../host/node.js';
import type { ImageHealthcheck } from '../image/config.js';
import { resolveSeccompRoot } from '../oci/seccomp.js';
import { openContainerFs, copyContentIn, copyHostPathIn, extractTarIn, extractTarToHost, packOut, type CopyInOptions } from './copy.js';
import {
  checkLsm,
  checkRunAsNonRoot,
  checkSeccompProfiles,
  execOptionsFor,
  hostLsm,
  lsmWarnings,
  usesLocalhostSeccomp,
} from './security.js';
export { resolvePodOptions, type PodOptions, type StopOptions } from './options.js';
export type { ContainerState, ContainerStatus, ExitRecord, PodStatus } from './status.js';

/** How long a stop waits for another one of the same pod (which holds the pod's lock for the whole stop) to end. */
const STOP_WAIT_MS = 10 * 60_000;

/** How long `reuse` waits for another process's create of the pod (images pulled, probes) to end. */
const REUSE_WAIT_MS = 10 * 60_000;

/** The containers the prober watches: the sidecars and the apps that have probes. */
function probedContainers(spec: PodSpec): ContainerSpec[] {
  return [...sidecars(spec), ...spec.containers].filter(hasProbes);
}

/** What `copyIn` copies: a file's content, a host file or directory, or a tar stream. */
export type CopySource = string | Buffer | { path: string } | Readable;
export type { CopyInOptions } from './copy.js';

/** A pod: a pause container holding the namespaces, and app containers joined to them. */
export class Pod implements AsyncDisposable {
  /** The onLog consumer's followers, one per container, while this process holds the pod. */
  private logFollowers: LogFollower[] = [];

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

  /** Where its writable data is (upper and work dirs, disk emptyDirs, logs): under the data root; older pods': dir. */
  get dataDir(): string {
    return this.record.dataDir ?? this.record.dir;
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
    const found = Runtime.find(opts.runtime);
    const store = new StateRoot(opts.root);
    const hash = specHash(spec);
    // A pod of the same spec that runs already is taken before any image is resolved.
    if (options.reuse) {
      const running = await Pod.reuseExisting(store, spec, hash, options);
      if (running) return running;
    }
    const runtimeRoot = store.runtimeRoot(found.name);
    const runtime = new Runtime({ runtime: found.binary, root: runtimeRoot });
    // A hostPath over nspod's own dirs is refused before anything is made.
    await refuseHostPathsOverNspodDirs(spec, {
      root: opts.root,
      runtimeName: found.name,
      imageRoot: options.imageRoot,
      dataRoot: opts.dataRoot,
    });
    // What takes isolation away is said once per pod, before anything runs.
    const host = hostSpecFacts(found.binary, runtimeRoot);
    const lsm = hostLsm();
    checkLsm(spec, lsm);
    const warnings = [
      ...securityWarnings(spec),
      ...readOnlyWarnings(spec, host.recursiveReadOnly),
      ...oomScoreAdjWarnings(spec, host),
      ...lsmWarnings(spec, lsm),
    ];
    const warn = options.onWarning ?? ((w: string) => process.stderr.write(`nspod: warning: pod ${spec.name}: ${w}\n`));
    for (const w of warnings) warn(w);
    // Images resolve before anything is made: a missing rootfs leaves no trace.
    const { imageRoot, progress, onImageUnpack: onUnpack } = options;
    // The image code (tar, progress bars) is loaded by create alone: stop, remove and status never need it.
    const { resolvePodImages } = await import('./images.js');
    const images = await resolvePodImages(spec, { cwd: opts.cwd, imageRoot, progress, onUnpack });
    const image = images.of;
    // So are the ConfigMaps and Secrets it names.
    const lookup = await new ConfigStore(opts.root).lookupFor(spec);
    // And the seccomp profiles its containers run under.
    const seccompRoot = resolveSeccompRoot(options.seccompRoot);
    await checkSeccompProfiles(spec, seccompRoot);
    // And runAsNonRoot holds once each image's User is applied.
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) checkRunAsNonRoot(c, image(c).defaults);
    const node = nodeFacts();
    checkPodConfig(spec, lookup, podFacts({ spec, uid: '', network: undefined }, node));
    // The network is checked before anything is made too: its config, and hostPorts other pods hold.
    const networkPlan = await planPodNetwork(spec, opts.root, options, store.portsHeldByPods());
    const uid = randomBytes(4).toString('hex');
    const pod = new Pod(
      {
        version: 1,
        name: spec.name,
        uid,
        createdAt: new Date().toISOString(),
        creator: currentProcessIdentity(),
        phase: 'Creating',
        spec,
        specHash: hash,
        dir: store.podDir(spec.name),
        dataDir: store.podDataDir(opts.dataRoot, spec.name, uid),
        runtime: { name: runtime.name, binary: runtime.binary, root: runtimeRoot },
        containers: [],
        networkMode: networkPlan.mode,
        supervised: options.supervise !== false,
        ...(opts.pidsLimit !== undefined ? { pidsLimit: opts.pidsLimit } : {}),
        ...(opts.logRotation ? { logRotation: opts.logRotation } : {}),
        ...(images.volumes.size > 0 ? { imageVolumes: Object.fromEntries(images.volumes) } : {}),
        ...(options.removeWhenDone ? { removeWhenDone: true } : {}),
        ...(options.removeWhen === 'owner-exits' ? { owner: ownerIdentity(options.owner) } : {}),
        ...(usesLocalhostSeccomp(spec) ? { seccompRoot } : {}),
      },
      store,
      runtime,
    );
    const rollback = new Rollback();
    // The name comes into existence with its record (Creating, with its creator): from here on gc can
    // tell a pod being made from one whose creator died.
    // With reuse, a creator that lost the claim to another takes that one's pod (once it is made).
    for (let attempt = 0; ; attempt++) {
      try {
        await store.claim(pod.record);
        break;
      } catch (e) {
        if (!options.reuse || !isNspodError(e, 'POD_EXISTS') || attempt >= 3) throw e;
        const theirs = await Pod.reuseExisting(store, spec, hash, options);
        if (theirs) return theirs;
      }
    }
    rollback.add('state dir', (failed) => pod.releaseClaim(failed));
    rollback.add('cgroups', () => removePodCgroups(pod.record));
    try {
      await store.makeDataDir(pod.record);
      await testPoint('create-claimed');
      for (const message of warnings) await appendEvent(pod.dir, { type: 'Warning', reason: 'SecurityRisk', message });
      await ensurePrivateDir(path.dirname(runtimeRoot));
      await ensurePrivateDir(runtimeRoot);
      await writePodFiles(pod.record, spec, { facts: podFacts(pod.record, node), lookup }, rollback);
      await testPoint('create-files');
      pod.record.pause = await startPause(pod.record, store.root, runtime, rollback);
      await store.save(pod.record);
      await testPoint('create-pause');
      if (networkPlan.mode === 'cni') {
        await pod.attachNetwork(networkPlan, rollback);
        await store.save(pod.record);
      }
      // The prober first: a sidecar's startup probe gates the init containers after it.
      if (probedContainers(spec).length > 0) {
        await pod.startProber(rollback);
        // Recorded at once: a crash from here on leaves a prober that gc finds by the record.
        await store.save(pod.record);
      }
      await testPoint('create-prober');
      for (const c of spec.initContainers ?? []) {
        if (isSidecar(c)) await pod.startSidecar(image(c), rollback);
        else await pod.runInitContainer(image(c), rollback);
      }
      // Apps start side by side; all of them settle before a failure rolls back, so no undo is missed.
      const started = await Promise.allSettled(spec.containers.map((c) => pod.startApp(image(c), rollback)));
      const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
      await testPoint('create-containers');
      pod.record.phase = 'Running';
      pod.record.deadlineTimer = await pod.startDeadline(rollback);
      await store.save(pod.record);
      catchUpExits(pod.record, store.root);
      if (options.onLog) await pod.consumeLogs(options.onLog);
      return pod;
    } catch (e) {
      const failures = await rollback.run();
      const error = NspodError.wrap(e, `pod ${spec.name}`);
      if (failures.length > 0) error.message += `; rollback also failed: ${failures.join('; ')}`;
      throw error;
    }
  }

  /**
   * reuse: the pod of the name when it runs from the same spec (one another process is still creating is waited for);
   * undefined when there is none (or its create failed and was undone). POD_EXISTS names the first field where a
   * pod of the name differs, or says it is not running: a stopped or failed pod is never reused nor replaced.
   */
  private static async reuseExisting(store: StateRoot, spec: PodSpec, hash: string, options: PodOptions): Promise<Pod | undefined> {
    const name = spec.name;
    let creator = 'another process';
    const seen = await until(
      async () => {
        const record = await store.load(name).catch(() => undefined);
        if (!record) return { record };
        if ((record.specHash ?? specHash(record.spec)) !== hash) {
          const d = specDifference(record.spec, spec);
          const what = d ? `${d.field} is ${d.now}, the pod's is ${d.was}` : 'the spec differs';
          throw new NspodError('POD_EXISTS', `pod ${JSON.stringify(name)} exists with another spec: ${what}`, {
            hint: `reuse takes a pod of the same spec only: remove it (nspod rm -f ${name}) or give this one another name`,
          });
        }
        if (record.phase !== 'Creating') return { record };
        if (record.rollbackFailed || (record.creator && !isProcessAlive(record.creator))) {
          throw new NspodError('POD_EXISTS', `pod ${JSON.stringify(name)} was left half-made by its creator`, {
            hint: 'nspod gc removes it',
          });
        }
        creator = `process ${record.creator?.pid ?? 'unknown'}`;
        return undefined;
      },
      () => `pod ${name} is still being created by ${creator}`,
      { timeout: REUSE_WAIT_MS },
    );
    if (!seen.record) return undefined;
    const pod = new Pod(seen.record, store, new Runtime({ runtime: seen.record.runtime.binary, root: seen.record.runtime.root }));
    const phase = seen.record.phase === 'Running' ? (await pod.status()).phase : seen.record.phase;
    if (phase !== 'Running') {
      throw new NspodError('POD_EXISTS', `pod ${JSON.stringify(name)} exists but is ${phase}: reuse takes a running pod only`, {
        hint: `remove it first (nspod rm -f ${name})`,
      });
    }
    if (options.onLog) await pod.consumeLogs(options.onLog);
    return pod;
  }

  /**
   * The claim's undo, run last: the name is released only when every other undo succeeded. Otherwise
   * the dir and the record stay, marked so that nspod gc takes the pod for half-made (containerd's cleanupErr).
   */
  private async releaseClaim(failed: readonly string[]): Promise<void> {
    if (!keepsStateDir(failed.length > 0, this.dir)) return await this.store.release(this.name);
    this.record.rollbackFailed = failed.length > 0 ? [...failed] : [`mounts are left below ${this.dir}`];
    await this.store.save(this.record);
    throw new NspodError('RUNTIME_FAILED', `kept ${this.dir} with its record: nspod gc collects what is left of the pod`);
  }

  /** Pins the pause's netns, CNI ADD on the pin, caches the attachment; the pod IP goes into /etc/hosts. */
  private async attachNetwork(plan: NetworkPlan, rollback: Rollback): Promise<void> {
    const network = await attachPodNetwork({
      root: this.store.root,
      pod: this.name,
      podUid: this.record.uid,
      netnsSource: this.record.pause!.namespaces.net.path,
      pin: path.join(this.dir, 'netns'),
      plan,
      onUndo: (what, undo) => rollback.add(what, undo),
    });
    this.record.network = network;
    await writeNetworkedPodFiles(this.dir, this.spec, networkStatus('cni', network).podIP, network.result?.dns);
  }

  /** An init container runs to completion before the apps; a non-zero exit fails the pod. */
  private async runInitContainer(image: RunnableContainer, rollback: Rollback, restartCount = 0): Promise<void> {
    const record = await this.startContainer(image, true, rollback, restartCount);
    await waitForFile(record.exitFile, 24 * 3600_000, () => isAlive(record.pid!));
    const exit = await readExitRecord(record.exitFile);
    await this.runtime.delete(record.id, { force: true });
    await unmountAll(record.rootfs);
    if (!exit || exit.exitCode !== 0) {
      throw new NspodError(
        'RUNTIME_FAILED',
        `init container ${record.name} exited with code ${exit?.exitCode ?? 'unknown'}${await logTailForError(record.logPath)}`,
      );
    }
  }

  /**
   * A sidecar starts in its place in the init order; the next init container (or the apps) start once it has started:
   * its postStart hook returned, then its startup probe succeeded (without one, it runs). One that exits before it has
   * started is started again after the restart back-off (restartPolicy Always, as the kubelet does) and the init order
   * waits; only when it has not started within the wait's bound does the pod's creation fail, saying how often it exited.
   */
  private async startSidecar(image: RunnableContainer, rollback: Rollback, restartCount = 0, lastMessage?: string): Promise<void> {
    const probe = image.container.startupProbe;
    const t = { ...PROBE_DEFAULTS, ...probe };
    // The prober kills a sidecar whose startup probe keeps failing, so each wait ends; the bound is only a backstop.
    const bound = probe
      ? 1000 * (t.initialDelaySeconds + (t.periodSeconds + t.timeoutSeconds) * (t.failureThreshold + 1)) + 30_000
      : 30_000;
    const giveUp = Date.now() + bound;
    let record = await this.startContainer(image, false, rollback, restartCount);
    for (let exits = 0; ; exits++) {
      if (lastMessage) record.lastTerminationMessage = lastMessage;
      // Started once its postStart hook returned (a failing one kills it: the wait below then sees it exit).
      if (record.postStartPending && (await runPostStart({ record: this.record, runtime: this.runtime }, record)))
        delete record.postStartPending;
      const run = record;
      const outcome = await until(
        async () => {
          const exit = await readExitRecord(run.exitFile);
          if (exit) return { exit };
          if (!probe) return isAlive(run.pid!) ? { started: true } : undefined;
          const probes = await readProbeStatus(this.dir, run.name);
          return probes !== undefined && probes.pid === run.pid && probes.started ? { started: true } : undefined;
        },
        () =>
          `sidecar ${run.name} has not started (its startup probe has not succeeded${exits > 0 ? `; it exited ${exits} time(s) before` : ''})`,
        { timeout: Math.max(1, giveUp - Date.now()), interval: 50 },
      );
      if (!('exit' in outcome) || !outcome.exit) break;
      await recordExits(this.dir, [run], this.spec);
      const delay = restartBackoffMs(run.restartCount);
      if (Date.now() + delay >= giveUp) {
        const why = `sidecar ${run.name} exited with code ${outcome.exit.exitCode} before it had started, ${exits + 1} time(s) within ${bound / 1000} s (restartPolicy Always starts it again; the init order waits for it)${await logTailForError(run.logPath)}`;
        throw new NspodError('RUNTIME_FAILED', why, { hint: `nspod events ${this.name} tells its exits and probe results` });
      }
      const message = `back-off ${delay} ms before restart ${run.restartCount + 1} (restartPolicy Always (a sidecar), exit code ${outcome.exit.exitCode} before it had started)`;
      await appendEvent(this.dir, { type: 'Warning', reason: 'BackOff', container: run.name, message });
      await new Promise((r) => setTimeout(r, delay));
      lastMessage = await this.endRun(run);
      // The next run registers its own undo; the last run's finds that run gone (endRun) and does nothing.
      record = await this.startContainer(image, false, rollback, run.restartCount + 1);
      await appendEvent(this.dir, {
        type: 'Normal',
        reason: 'Restarted',
        container: run.name,
        message: `restarted container ${run.name} (restart ${record.restartCount})`,
      });
    }
    await appendEvent(this.dir, {
      type: 'Normal',
      reason: 'SidecarStarted',
      container: record.name,
      message: `sidecar ${record.name} has started`,
    });
  }

  private async startContainer(image: RunnableContainer, init: boolean, rollback: Rollback, restartCount = 0): Promise<ContainerRecord> {
    const prepared = await prepareContainer(this.record, this.store.root, image, init, restartCount, rollback);
    // Not started, for the status and the waits, until its postStart hook returns.
    if (!init && image.container.lifecycle?.postStart) prepared.postStartPending = true;
    return await startPrepared({ record: this.record, runtime: this.runtime, root: this.store.root }, prepared, rollback);
  }

  /** An app container of the pod being created: started, then its postStart hook (a failure kills it, not the pod). */
  private async startApp(image: RunnableContainer, rollback: Rollback): Promise<void> {
    const c = await this.startContainer(image, false, rollback);
    if (c.postStartPending && (await runPostStart({ record: this.record, runtime: this.runtime }, c))) delete c.postStartPending;
  }

  /**
   * The container's postStart hook after a restart, run outside the pod's lock (a hook may take its time); once it
   * returns the container counts as started. The point where a container has *started*.
   */
  private async afterRestart(name: string): Promise<void> {
    const c = this.record.containers.find((r) => r.name === name && !r.init);
    if (!c?.postStartPending || !(await runPostStart({ record: this.record, runtime: this.runtime }, c))) return;
    await this.store.withLock(this.name, async () => {
      await this.reload();
      const fresh = this.record.containers.find((r) => r.name === name && !r.init);
      if (!fresh?.postStartPending || fresh.pid !== c.pid) return;
      delete fresh.postStartPending;
      await this.store.save(this.record);
    });
  }

  /** The activeDeadlineSeconds timer (deadline.ts), in the pod's supervisors cgroup as the shims are. */
  private async startDeadline(rollback: Rollback): Promise<ProcessIdentity | undefined> {
    const timer = startDeadlineTimer(this.record, this.store.root);
    if (!timer) return undefined;
    rollback.add('deadline timer', async () => stopDeadlineTimer(timer));
    await moveSupervisorIntoPod(this.record, timer.pid).catch(() => undefined);
    return timer;
  }

  /**
   * The deadline timer's step (`nspod internal deadline`): a pod of this uid, still Running and with apps not done for
   * good, is stopped with reason DeadlineExceeded (event and status), as the kubelet does; `run -d --rm` pods go.
   */
  async onDeadline(uid: string): Promise<'stopped' | 'removed' | 'ignored'> {
    const due = await this.store.withLock(this.name, async () => {
      const fresh = await this.store.load(this.name);
      if (!fresh || fresh.uid !== uid || fresh.phase !== 'Running' || (await appsDoneForGood(fresh))) return false;
      this.record = fresh;
      this.record.reason = DEADLINE_REASON;
      await this.store.save(this.record);
      return true;
    });
    if (!due) return 'ignored';
    const seconds = this.spec.activeDeadlineSeconds;
    await appendEvent(this.dir, {
      type: 'Warning',
      reason: DEADLINE_REASON,
      message: `${DEADLINE_MESSAGE} (activeDeadlineSeconds ${seconds})`,
    });
    if (this.record.removeWhenDone) {
      await this.remove({});
      return 'removed';
    }
    await this.stop();
    return 'stopped';
  }

  /**
   * The pod's nspod-prober: probes run with no Node process resident. It starts before the containers it probes (the
   * sidecars' and the apps'), whose records it follows by their pid files: a run it has not seen yet is not probed.
   */
  private async startProber(rollback: Rollback): Promise<void> {
    await this.launchProber((prober) => rollback.add('prober', () => stopProber(prober)));
  }

  /** Writes the prober's config from the record, starts it, records it (pod.json) and moves it into the supervisors cgroup. */
  private async launchProber(onStarted?: (prober: ProberRecord) => void): Promise<ProberRecord> {
    const r = this.record;
    const prober = await startProber({
      podDir: r.dir,
      runtime: { binary: r.runtime.binary, root: r.runtime.root },
      netns: r.network?.pin ?? `/proc/${this.pausePid}/ns/net`,
      pausePid: this.pausePid,
      containers: probedContainers(this.spec).map((spec) => ({ spec, ...containerFiles(r, spec.name) })),
    });
    // Started, not yet recorded: gc finds such a prober by its command line (probersOf).
    await testPoint('create-prober-started');
    r.prober = prober;
    onStarted?.(prober);
    await this.store.save(r);
    await moveSupervisorIntoPod(r, prober.pid);
    return prober;
  }

  /**
   * nspod gc's part for a prober that died while its pod runs (its probes' results unknown, no liveness acting): the
   * event `ProberLost` (once), then, under the pod's lock, a new prober from the record, its predecessor's results
   * removed first so that none is taken for the new one's. Returns the lost and the new prober, or undefined when the
   * pod's prober is alive (or it has none to have, or it is being stopped).
   */
  static async restartLostProber(name: string, options: PodOptions = {}): Promise<{ lost: number; started: number } | undefined> {
    const pod = await Pod.load(name, options).catch(() => undefined);
    if (!pod || !proberLost(pod.record) || !pod.record.pause || !isProcessAlive(pod.record.pause)) return undefined;
    return await pod.store.withLock(name, async () => {
      if (!(await pod.stillExists())) return undefined;
      await pod.reload();
      const r = pod.record;
      if (!proberLost(r) || (await readStoppingMarker(r.dir)) || !r.pause || !isProcessAlive(r.pause)) return undefined;
      await recordProberLost(r.dir, r.prober);
      const lost = r.prober?.pid ?? 0;
      await Promise.all(probedContainers(r.spec).map((c) => rm(path.join(probesDir(r.dir), `${c.name}.json`), { force: true })));
      const started = await pod.launchProber();
      const message = `started the pod's prober again (pid ${started.pid}, was ${lost || 'none'}): its probes start over`;
      await appendEvent(r.dir, { type: 'Normal', reason: 'ProberStarted', message });
      return { lost, started: started.pid };
    });
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

  /**
   * nspod gc's part of a stop: when the pod's lock is free and its stopping marker (or its phase Stopping) is
   * left, its stopper died mid-stop. The stop is finished, without grace, and the removal too when one was asked.
   * Returns what was finished, or undefined when no stop was interrupted (or a live stopper is at it).
   */
  static async finishInterruptedStop(name: string, options: PodOptions = {}): Promise<'stop' | 'removal' | undefined> {
    const pod = await Pod.load(name, options).catch(() => undefined);
    const interrupted = async (p: Pod) => (await readStoppingMarker(p.dir)) ?? (p.record.phase === 'Stopping' ? {} : undefined);
    if (!pod || !(await interrupted(pod))) return undefined;
    try {
      return await pod.store.withLock(
        name,
        async () => {
          if (!(await pod.stillExists())) return undefined;
          await pod.reload();
          // Under the lock, a marker is a dead stopper's: a live one holds the lock for its whole stop.
          const marker = await interrupted(pod);
          if (!marker) return undefined;
          await pod.stopLocked({ gracePeriodSeconds: 0 }, marker.remove === true);
          if (marker.remove !== true) return 'stop';
          await pod.store.release(name);
          return 'removal';
        },
        0,
      );
    } catch (e) {
      if (isNspodError(e, 'TIMEOUT') || isNspodError(e, 'POD_NOT_FOUND')) return undefined;
      throw e;
    }
  }

  /**
   * nspod gc's part for containers whose shim died before it wrote their exit record (`kill -9`, the OOM killer): nobody
   * reaps them, copies their output (their stdout and stderr pipes died with the shim) or sees them exit. Under the
   * pod's lock, one still running is killed, and each gets the exit record its shim would have written, with the
   * kubelet's code for a container it lost (137) and reason ShimLost, and the event ShimLost; then the supervisor's
   * step runs for it as for any exit, so its restartPolicy applies (a restart gets a new shim). Returns their names.
   */
  static async recordLostShims(name: string, options: PodOptions = {}): Promise<string[]> {
    const pod = await Pod.load(name, options).catch(() => undefined);
    const lostIn = async (r: PodRecord) => {
      const lost: ContainerRecord[] = [];
      for (const c of r.containers) {
        if (c.init || !c.shim || c.pid === undefined || isProcessAlive(c.shim)) continue;
        if (!currentRunExit(c, await readExitRecord(c.exitFile))) lost.push(c);
      }
      return lost;
    };
    if (!pod || pod.record.phase !== 'Running' || (await lostIn(pod.record)).length === 0) return [];
    const recorded = await pod.store.withLock(name, async () => {
      if (!(await pod.stillExists())) return [];
      await pod.reload();
      const r = pod.record;
      if (r.phase !== 'Running' || (await readStoppingMarker(r.dir))) return [];
      const lost = await lostIn(r);
      for (const c of lost) {
        const running = isAlive(c.pid!);
        if (running) await destroyContainer(pod.runtime, c.id, c.exitFile, c.pid!, 0).catch(() => undefined);
        const exit: ExitRecord = {
          pid: c.pid!,
          exitCode: LOST_EXIT_CODE,
          signal: 0,
          finishedAt: new Date().toISOString(),
          reason: 'ShimLost',
        };
        await writeJsonAtomic(c.exitFile, exit, { mode: 0o600 });
        const what = running ? 'it was killed: its output and exit went nowhere' : 'it has exited, code unknown';
        const message = `the shim of container ${c.name} (pid ${c.shim!.pid}) is gone; ${what}; recorded with exit code ${LOST_EXIT_CODE}`;
        await appendEvent(r.dir, { type: 'Warning', reason: 'ShimLost', container: c.name, message });
      }
      return lost;
    });
    for (const c of recorded) {
      if (!wakeSupervisor(pod.record, pod.store.root, c)) await recordExits(pod.dir, [c], pod.record.spec);
    }
    return recorded.map((c) => c.name);
  }

  /** Names of the pods under a state root. */
  static async list(options: PodOptions = {}): Promise<string[]> {
    return await new StateRoot(resolvePodOptions(options).root).names();
  }

  /** Reads the pod's state: pause, namespaces, and each container's state from its shim's records. */
  async status(): Promise<PodStatus> {
    const fresh = await this.store.load(this.name);
    if (fresh) this.record = fresh;
    return await readPodStatus(this.record);
  }

  /** What each container runs with (user, groups, capabilities, no_new_privs, seccomp, oom_score_adj, ...), read from its bundle. */
  async security(): Promise<EffectiveSecurity[]> {
    return await readEffectiveSecurity(this.spec, this.record.containers);
  }

  /** The pod's events, oldest first (the last 200), with the exits its shims recorded. */
  async events(): Promise<PodEvent[]> {
    const fresh = await this.store.load(this.name).catch(() => undefined);
    if (fresh?.uid === this.record.uid) this.record = fresh;
    await recordExits(this.dir, this.record.containers, this.spec);
    if (this.record.pause && isProcessAlive(this.record.pause) && proberLost(this.record))
      await recordProberLost(this.dir, this.record.prober).catch(() => false);
    return await readEvents(this.dir);
  }

  /** Resolves when the pod is Ready; rejects with TIMEOUT naming the unready container and its last probe output. */
  async waitReady(options: WaitOptions = {}): Promise<PodStatus> {
    return await waitReady(this, options);
  }

  /** The status of the container `name` means (default: the first app container); CONTAINER_NOT_FOUND lists the pod's. */
  async container(name?: string): Promise<ContainerStatus> {
    const status = await this.status();
    const meant = this.containerRecord(name).name;
    return status.containers.find((c) => c.name === meant)!;
  }

  /**
   * Stops the pod: apps get TERM, then KILL after the grace period, and are
   * deleted; the pause goes last. The state dir stays (logs) until remove().
   * The whole stop holds the pod's lock, its holder (pid and start time) the stopper: a second stop waits
   * for the first and then has nothing left to do; a stop whose stopper died is finished by nspod gc.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    await this.finish(options, false);
  }

  /** Stops the pod if needed and removes its state dir. */
  async remove(options: StopOptions = {}): Promise<void> {
    await this.finish(options, true);
  }

  /** stop or remove under the pod's lock; a pod gone (or replaced) before or meanwhile was stopped by someone else. */
  private async finish(options: StopOptions, remove: boolean): Promise<void> {
    // Already removed (or replaced by a newer pod of the same name): nothing of ours is left to stop.
    if (!(await this.stillExists())) return;
    try {
      await this.store.withLock(
        this.name,
        async () => {
          if (!(await this.stillExists())) return;
          await this.reload();
          await testPoint('stop-locked');
          await this.stopLocked(options, remove);
          if (remove) await this.store.release(this.name);
        },
        STOP_WAIT_MS,
      );
    } catch (e) {
      if (isNspodError(e, 'POD_NOT_FOUND') && !(await this.stillExists())) return;
      throw e;
    }
  }

  private async stopLocked(options: StopOptions, remove: boolean): Promise<void> {
    const graceMs = 1000 * (options.gracePeriodSeconds ?? this.spec.terminationGracePeriodSeconds ?? 30);
    // From here on no exit restarts anything: the shims see the marker, the supervisor the phase. The marker
    // names the stopper and what it was asked, so that nspod gc can finish the stop once the stopper is gone.
    const marker: StoppingMarker = { ...currentProcessIdentity(), remove };
    await writeFile(stoppingMarker(this.dir), JSON.stringify(marker));
    if (this.record.phase !== 'Stopped') this.record.phase = 'Stopping';
    await this.store.save(this.record);
    await testPoint('stop-marked');
    // Every step is tried even when one fails, so one stuck piece never keeps the rest alive; the failures are thrown at the end.
    const log = new StepLog();
    // The prober goes first: it would kill containers whose probes fail while they stop.
    await log.attempt('prober', () => stopProber(this.record.prober));
    await log.attempt('deadline timer', async () => stopDeadlineTimer(this.record.deadlineTimer));
    // The apps first, side by side; then the sidecars, the last started first, each once the one before it is gone,
    // within what is left of the one grace period (Kubernetes' order).
    const deadline = Date.now() + graceMs;
    const stop = async (c: ContainerRecord, ms: number) => {
      await log.attempt(`container ${c.name}`, () => stopContainer({ record: this.record, runtime: this.runtime }, c, ms));
      await log.attempt(`rootfs of ${c.name}`, () => unmountAll(c.rootfs));
    };
    await Promise.all(this.record.containers.filter((c) => !c.sidecar).map((c) => stop(c, graceMs)));
    for (const c of this.sidecarRecords().reverse()) await stop(c, graceMs === 0 ? 0 : Math.max(1, deadline - Date.now()));
    await testPoint('stop-containers');
    // The containers are gone: an onLog consumer gets what they wrote last.
    await Promise.all(this.logFollowers.splice(0).map((f) => f.stop()));
    // CNI DEL while the pinned netns still holds the pod's interface, before the pause goes.
    // When it fails the attachment record stays, so gc (or the next stop) can try again.
    await log.attempt('network', async () => {
      if (await detachPodNetwork(this.store.root, cniContainerId(this.name, this.record.uid), this.record.network)) {
        this.record.network = undefined;
        await this.store.save(this.record);
      }
    });
    await testPoint('stop-network');
    const pause = this.record.pause;
    if (pause) await log.attempt('pause container', () => destroyContainer(this.runtime, pause.id, pause.exitFile, pause.pid, 1000));
    await testPoint('stop-pause');
    await log.attempt('mounts', () => unmountAll(this.dir));
    await log.attempt('cgroups', () => removePodCgroups(this.record));
    // Stopped even when a step failed: what is left is a Stopped pod's leftovers, which gc releases.
    this.record.phase = 'Stopped';
    await this.store.save(this.record);
    await testPoint('stop-stopped');
    await rm(stoppingMarker(this.dir), { force: true });
    if (log.failures.length > 0) {
      throw new NspodError('RUNTIME_FAILED', `stopping pod ${this.name}: ${log.failures.join('; ')}`, {
        hint: `what is left is released by nspod gc or another nspod rm -f ${this.name}`,
      });
    }
  }

  /** `await using pod = await Pod.create(...)`: the pod is removed at the end of the scope, with no grace. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.remove({ gracePeriodSeconds: 0 });
  }

  /**
   * The host port `containerPort` is published on (for a hostPort 0, the free port chosen when the pod was made):
   * connect to 127.0.0.1 at it. PORT_NOT_PUBLISHED when the pod does not publish that port.
   */
  hostPort(containerPort: number, protocol: 'TCP' | 'UDP' = 'TCP'): number {
    const port = hostPortOf(this.spec, this.record.network?.runtimeConfig.portMappings ?? [], containerPort, protocol);
    if (port === undefined) {
      const published = (this.record.network?.runtimeConfig.portMappings ?? []).map((m) => `${m.containerPort}/${m.protocol}`);
      throw new NspodError('PORT_NOT_PUBLISHED', `pod ${this.name} publishes no host port for ${containerPort}/${protocol.toLowerCase()}`, {
        hint: published.length > 0 ? `it publishes ${published.join(', ')}` : 'give the port a hostPort (0: any free one)',
      });
    }
    return port;
  }

  /**
   * Copies into a container (running or exited; its rootfs or a volume): a string or Buffer becomes the file `target`;
   * a host file or directory (`{ path }`) lands at `target`, or in it when it is a directory there (as `docker cp`);
   * a tar stream is extracted into the directory `target`. Paths resolve inside the container's root: a symlink in
   * the container never leads a write to the host.
   */
  async copyIn(container: string | undefined, target: string, source: CopySource, options: CopyInOptions = {}): Promise<void> {
    const fs = await openContainerFs(this.name, this.containerRecord(container));
    if (typeof source === 'string' || Buffer.isBuffer(source)) await copyContentIn(fs, target, source, options);
    // A stream by its pipe (tar-stream's and other streamx streams are no node:stream Readable); a ReadStream has a path too.
    else if (typeof (source as Readable).pipe === 'function') await extractTarIn(fs, target, source as Readable, options);
    else await copyHostPathIn(fs, target, (source as { path: string }).path, options);
  }

  /** A file or directory of a container (running or exited) as a tar stream: a directory's tree under its name. */
  async copyOut(container: string | undefined, source: string): Promise<Readable> {
    return await packOut(await openContainerFs(this.name, this.containerRecord(container)), source);
  }

  /** copyOut, extracted into the host directory `dir` (made when missing): `dir/<name>`. */
  async copyOutTo(container: string | undefined, source: string, dir: string): Promise<void> {
    await extractTarToHost(await this.copyOut(container, source), dir);
  }

  /** The HEALTHCHECK of the container's image (the first app container when none is named), undefined when it has none. */
  imageHealthcheck(container?: string): ImageHealthcheck | undefined {
    return this.containerRecord(container).image?.healthcheck;
  }

  /**
   * A container's output (the first app container when none is named) as an async iterable of `{ time, stream, line }`:
   * what its log holds (`tail`, `since`), then with `follow` every new line until it has exited for good, the pod
   * stopped, or `signal` aborted. With `previous`, the run before its last restart (as `kubectl logs -p`).
   */
  logs(container?: string, options: LogStreamOptions = {}): AsyncIterable<LogEntry> {
    const c = this.containerRecord(container);
    const name = c.name;
    const file = options.previous ? previousLogOf(this.name, c) : c.logPath;
    // The previous run is over: nothing of it is followed.
    return streamLog(file, options.previous ? { ...options, follow: false } : options, async () =>
      followOver(this.spec, await this.status().catch(() => undefined), name),
    );
  }

  /** onLog: a follower per container, from the first line of each; stopped by stop(). */
  private async consumeLogs(onLog: (entry: LogEntry & { container: string }) => void): Promise<void> {
    for (const c of this.record.containers) {
      const join = lineJoiner();
      const follower = new LogFollower(c.logPath, (l) => {
        const e = join(l);
        if (e) onLog({ ...e, container: c.name });
      });
      await follower.start(0);
      this.logFollowers.push(follower.unref());
    }
  }

  /** Runs a command in a container (the first app container when none is named). */
  async exec(container: string | undefined, command: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const c = this.containerRecord(container);
    return await this.runtime.exec(c.id, command, await execOptionsFor(c, options));
  }

  /**
   * The pause's pid, checked to still be our pause: the handle for running a
   * host program in the pod's namespaces (`nsenter -t <pid> -n -u -i`).
   */
  debugTarget(): { pid: number; sharedPid: boolean; hostNetwork: boolean } {
    const pause = assertPauseIsOurs(this.record);
    return { pid: pause.pid, sharedPid: this.spec.shareProcessNamespace === true, hostNetwork: this.spec.hostNetwork === true };
  }

  /** Starts a container that is not running (after it exited or was killed): it joins the same pause. */
  async restartContainer(name: string): Promise<void> {
    await this.store.withLock(this.name, async () => {
      await this.reload();
      await this.restartLocked(name);
    });
    await this.afterRestart(name);
  }

  private async restartLocked(name: string): Promise<void> {
    const old = this.containerRecord(name);
    const declared = runningContainerSpec(this.spec, name);
    if (!declared || old.init) throw new NspodError('CONTAINER_NOT_FOUND', `pod ${this.name} has no app container or sidecar ${name}`);
    assertPauseIsOurs(this.record);
    const lastMessage = await this.endRun(old);
    const rollback = new Rollback();
    try {
      const started = await this.startContainer(this.runAgain(old, declared), false, rollback, old.restartCount + 1);
      if (lastMessage) started.lastTerminationMessage = lastMessage;
    } catch (e) {
      await rollback.run();
      throw e;
    }
    await this.store.save(this.record);
  }

  /** Ends a container's run that has exited (or is killed now): its exit told, its runtime state and rootfs gone; returns its message. */
  private async endRun(old: ContainerRecord): Promise<string | undefined> {
    // The exit this run ends is told before its record goes, and its message kept: the next run's file starts empty.
    await recordExits(this.dir, [old], this.spec);
    const ended = currentRunExit(old, await readExitRecord(old.exitFile));
    const lastMessage = ended ? await exitMessage(old, ended, this.spec) : old.lastTerminationMessage;
    await destroyContainer(this.runtime, old.id, old.exitFile, old.pid ?? 0, 0);
    await unmountAll(old.rootfs);
    return lastMessage;
  }

  /** What a container's next run starts from: its record's spec, image defaults and lower dirs. */
  private runAgain(old: ContainerRecord, declared: ContainerSpec): RunnableContainer {
    return { container: old.spec ?? declared, defaults: old.image ?? {}, lowerdir: old.lowerdir };
  }

  /**
   * RestartAllContainers (Kubernetes 1.35), under the pod's lock: the pod restarts in place. Every running container is
   * killed at once (no preStop, no grace period: Kubernetes' fast termination, event Killing), then the init containers
   * run again in order (a sidecar until it has started) and the apps start, each with its restart count up by one; the
   * pause, so the pod IP and namespaces, and the volumes stay. An init container that fails fails the pod (reason
   * InitContainerFailed; nspod runs an init container once, as under restartPolicy Never). Returns the apps started.
   */
  private async restartAllLocked(trigger: string, exitCode: number): Promise<{ started: string[] } | { failed: string }> {
    assertPauseIsOurs(this.record);
    // Kubernetes' PodRestartInPlace condition, as an event: True now, False once every container is gone.
    const why = `Container ${trigger} exited with code ${exitCode}, triggering pod restart`;
    await appendEvent(this.dir, { type: 'Normal', reason: 'PodRestartInPlace', container: trigger, message: why });
    const previous = new Map(this.record.containers.map((c) => [c.name, c]));
    const messages = new Map<string, string | undefined>();
    await Promise.all(
      this.record.containers
        .filter((c) => !c.init)
        .map(async (c) => {
          await stopContainer({ record: this.record, runtime: this.runtime }, c, 0);
          messages.set(c.name, await this.endRun(c));
        }),
    );
    const done = 'every container has been killed: the init containers run again, then the apps start';
    await appendEvent(this.dir, { type: 'Normal', reason: 'PodRestartInPlace', message: done });
    const next = (c: ContainerSpec) => {
      const old = previous.get(c.name);
      const image = old ? this.runAgain(old, c) : undefined;
      if (!image) throw new NspodError('RUNTIME_FAILED', `container ${c.name} has no record to start again from`);
      return { image, restartCount: (old?.restartCount ?? 0) + 1, message: messages.get(c.name) ?? old?.lastTerminationMessage };
    };
    const rollback = new Rollback();
    try {
      for (const c of this.spec.initContainers ?? []) {
        const { image, restartCount, message } = next(c);
        if (isSidecar(c)) await this.startSidecar(image, rollback, restartCount, message);
        else await this.runInitContainer(image, rollback, restartCount);
      }
      await Promise.all(
        this.spec.containers.map(async (c) => {
          const { image, restartCount, message } = next(c);
          const started = await this.startContainer(image, false, rollback, restartCount);
          if (message) started.lastTerminationMessage = message;
        }),
      );
    } catch (e) {
      await rollback.run();
      const failed = `the pod's restart in place failed: ${errorMessage(e)}`;
      this.record.reason = 'InitContainerFailed';
      await this.store.save(this.record);
      await appendEvent(this.dir, { type: 'Warning', reason: 'Failed', message: failed });
      return { failed };
    }
    await this.store.save(this.record);
    return { started: this.spec.containers.map((c) => c.name) };
  }

  /** The supervisor's step after an app container exited (supervisor.ts): a restart, the pod's removal, or nothing. */
  async onContainerExit(name: string): Promise<'restarted' | 'left' | 'stopped' | 'removed' | 'ignored'> {
    const pod: SupervisedPod = {
      name: this.name,
      dir: this.dir,
      locked: (fn) =>
        this.store.withLock(this.name, async () => {
          await this.reload();
          return await fn(this.record);
        }),
      save: (record) => this.store.save(record),
      restartLocked: (container) => this.restartLocked(container),
      restartAllLocked: (trigger, exitCode) => this.restartAllLocked(trigger, exitCode),
      stop: (options) => this.stop(options),
      stopSidecars: () => this.stopSidecars(),
      afterRestart: (container) => this.afterRestart(container),
      remove: (options) => this.remove(options),
    };
    return await onContainerExit(pod, name);
  }

  /**
   * The apps are done for good: the pod is marked so (no sidecar starts again), then its sidecars are stopped, the
   * last started first, each with the pod's grace period. A second call finds the mark and does nothing.
   */
  private async stopSidecars(): Promise<void> {
    const first = await this.store.withLock(this.name, async () => {
      await this.reload();
      if (this.record.appsDone !== undefined || this.record.phase !== 'Running') return false;
      this.record.appsDone = new Date().toISOString();
      await this.store.save(this.record);
      return true;
    });
    if (!first) return;
    const graceMs = 1000 * (this.spec.terminationGracePeriodSeconds ?? 30);
    const message = 'the app containers have completed: stopping the sidecars, the last started first';
    await appendEvent(this.dir, { type: 'Normal', reason: 'Completed', message });
    for (const c of this.sidecarRecords().reverse()) {
      await stopContainer({ record: this.record, runtime: this.runtime }, c, graceMs);
      await recordExits(this.dir, [c], this.spec);
    }
  }

  /** The sidecars' records, in start order (the order of spec.initContainers). */
  private sidecarRecords(): ContainerRecord[] {
    return sidecars(this.spec).flatMap((s) => this.record.containers.filter((c) => c.sidecar && c.name === s.name));
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
}
