/**
 * The exit-command supervisor: no process of nspod stays resident for a pod. When an app container
 * exits, its shim runs `nspod internal container-exited <pod> <container>` (exitCommand), which
 * restarts it per restartPolicy after a back-off, or removes the pod once its apps are done for
 * good (`nspod run -d --rm`). While the pod's `stopping` marker exists the shims wake nobody.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { packageRoot } from '../paths.js';
import { isApp, mayRestart, restartBackoffMs, restartPolicy, restartsAfter, restartsAllAfter, sidecars } from '../spec/restart.js';
import { appendEvent, exitMessage, recordExitEvent } from './events.js';
import { readExitRecord } from './status.js';
import type { PodRecord } from './store.js';
import type { ProcessIdentity } from '../host/proc.js';

/**
 * The one rule for an exit command: only an app container or a sidecar of a supervised pod gets one, and only
 * when its exit can lead somewhere (a restart, stopping the sidecars once the apps are done, or the pod's removal then).
 */
export function wantsExitCommand(
  pod: Pick<PodRecord, 'spec' | 'supervised' | 'removeWhenDone'>,
  c: { name: string; init: boolean },
): boolean {
  const leads = mayRestart(pod.spec, c.name) || pod.removeWhenDone === true || sidecars(pod.spec).length > 0;
  return !c.init && pod.supervised === true && leads;
}

/** What the shim execs when an app container exits: this package's CLI, which decides on a restart. */
export function exitCommand(root: string, pod: string, container: string): string[] {
  return [process.execPath, path.join(packageRoot, 'bin', 'nspod.js'), '--root', root, 'internal', 'container-exited', pod, container];
}

/** What the pause's shim runs when the pod's owner exits (`removeWhen: 'owner-exits'`): the pod's removal. */
export function ownerCommand(root: string, pod: string, uid: string): string[] {
  return [process.execPath, path.join(packageRoot, 'bin', 'nspod.js'), '--root', root, 'internal', 'owner-exited', pod, uid];
}

/** While this file exists the shims wake nobody: the pod is being stopped. */
export function stoppingMarker(podDir: string): string {
  return path.join(podDir, 'stopping');
}

/** What the stopping marker holds: who stops the pod (it holds the pod's lock meanwhile), and whether it removes it too. */
export interface StoppingMarker extends ProcessIdentity {
  remove: boolean;
}

/** The pod's stopping marker: undefined when there is none; an empty one (gc's own, older nspods') names no stopper. */
export async function readStoppingMarker(podDir: string): Promise<Partial<StoppingMarker> | undefined> {
  let text: string;
  try {
    text = await readFile(stoppingMarker(podDir), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const m = JSON.parse(text) as Partial<StoppingMarker>;
    return typeof m === 'object' && m !== null ? m : {};
  } catch {
    return {};
  }
}

/**
 * An app that exited while the pod was still being created woke a
 * supervisor that saw no Running pod and did nothing: wake it again now.
 */
export function catchUpExits(record: PodRecord, root: string): void {
  for (const c of record.containers) if (existsSync(c.exitFile)) wakeSupervisor(record, root, c);
}

/** Runs the container's exit command, detached, as its shim would have on its exit (when it has one). */
export function wakeSupervisor(record: PodRecord, root: string, c: { name: string; init: boolean }): boolean {
  if (!wantsExitCommand(record, c)) return false;
  const [node, ...args] = exitCommand(root, record.name, c.name);
  spawn(node!, args, { detached: true, stdio: 'ignore' }).unref();
  return true;
}

/** Has every app container exited with no restart to come? (Sidecars do not count.) */
export async function appsDoneForGood(record: PodRecord): Promise<boolean> {
  for (const c of record.containers.filter(isApp)) {
    const exit = await readExitRecord(c.exitFile);
    if (!exit || restartsAfter(record.spec, c.name, exit.exitCode, c.restartCount)) return false;
  }
  return true;
}

/** What the supervisor needs of a pod (the Pod of src/pod/pod.ts hands it over). */
export interface SupervisedPod {
  readonly name: string;
  readonly dir: string;
  /** Runs `fn` under the pod's lock on pod.json read again; throws POD_NOT_FOUND when the pod is gone or replaced. */
  locked<T>(fn: (record: PodRecord) => Promise<T>): Promise<T>;
  save(record: PodRecord): Promise<void>;
  /** Starts an app container or a sidecar again; called under the lock. */
  restartLocked(container: string): Promise<void>;
  /**
   * RestartAllContainers, under the lock: every container killed, the init containers run again, then the apps start.
   * Returns the apps started (their postStart hooks run after the lock), or why the pod failed (an init container).
   */
  restartAllLocked(trigger: string, exitCode: number): Promise<{ started: string[] } | { failed: string }>;
  stop(options: { gracePeriodSeconds: number }): Promise<void>;
  /** Once the apps are done for good: marks the pod so (no sidecar restarts from then on) and stops the sidecars, last started first. */
  stopSidecars(): Promise<void>;
  /** Runs the restarted container's postStart hook, after the lock is released. */
  afterRestart(container: string): Promise<void>;
  remove(options: { gracePeriodSeconds: number }): Promise<void>;
}

/**
 * The supervisor's step, run by `nspod internal container-exited` when a
 * container's shim saw it exit: restart it per restartPolicy, after a
 * back-off that doubles with each restart (base NSPOD_RESTART_BACKOFF_MS,
 * default 1000 ms, at most 5 minutes). Returns what it did.
 */
export async function onContainerExit(pod: SupervisedPod, name: string): Promise<'restarted' | 'left' | 'stopped' | 'removed' | 'ignored'> {
  let record: PodRecord | undefined;
  const plan = await pod.locked(async (fresh) => {
    record = fresh;
    const c = fresh.containers.find((r) => r.name === name && !r.init);
    if (fresh.phase !== 'Running' || !c) return undefined;
    const exit = await readExitRecord(c.exitFile);
    if (!exit || exit.pid !== c.pid) return undefined;
    await recordExitEvent(pod.dir, name, exit, await exitMessage(c, exit, fresh.spec)).catch(() => false);
    // The apps are done and the sidecars are being stopped: none of them starts again.
    if (fresh.appsDone) return 'left' as const;
    // RestartAllContainers restarts the pod in place at once, whatever the restartPolicy says (Kubernetes 1.35).
    if (restartsAllAfter(fresh.spec, name, exit.exitCode)) return { all: await pod.restartAllLocked(name, exit.exitCode) };
    const policy = c.sidecar ? 'Always (a sidecar)' : (c.spec?.restartPolicy ?? restartPolicy(fresh.spec));
    if (!restartsAfter(fresh.spec, name, exit.exitCode, c.restartCount)) {
      if (fresh.spec.backoffLimit !== undefined && exit.exitCode !== 0) {
        const message = `the Job's pod has failed: container ${name} failed ${c.restartCount + 1} times (backoffLimit ${fresh.spec.backoffLimit})`;
        await appendEvent(pod.dir, { type: 'Warning', reason: 'BackoffLimitExceeded', container: name, message });
      }
      return 'left' as const;
    }
    const delay = restartBackoffMs(c.restartCount);
    c.nextRestartAt = new Date(Date.now() + delay).toISOString();
    await pod.save(fresh);
    const message = `back-off ${delay} ms before restart ${c.restartCount + 1} (restartPolicy ${policy}, exit code ${exit.exitCode})`;
    await appendEvent(pod.dir, { type: 'Warning', reason: 'BackOff', container: name, message });
    return { pid: c.pid, delay };
  });
  if (plan === undefined) return 'ignored';
  if (typeof plan === 'object' && plan.all) {
    if ('started' in plan.all) {
      for (const app of plan.all.started) await pod.afterRestart(app);
      return 'restarted';
    }
    // An init container failed on the way: the pod has failed (nspod runs an init container once).
    if (record?.removeWhenDone) {
      await pod.remove({ gracePeriodSeconds: 0 });
      return 'removed';
    }
    await pod.stop({ gracePeriodSeconds: 0 });
    return 'stopped';
  }
  if (plan === 'left') {
    if (!record || record.appsDone || !(await appsDoneForGood(record))) return 'left';
    if (sidecars(record.spec).length > 0) await pod.stopSidecars();
    if (record.removeWhenDone) {
      await pod.remove({ gracePeriodSeconds: 0 });
      return 'removed';
    }
    return 'left';
  }
  await new Promise((r) => setTimeout(r, plan.delay));
  const done = await pod.locked(async (fresh) => {
    const c = fresh.containers.find((r) => r.name === name && !r.init);
    // Stopped meanwhile, the apps done (a sidecar stays down then), or restarted by someone else: nothing to do.
    if (fresh.phase !== 'Running' || fresh.appsDone || !c || c.pid !== plan.pid) return 'ignored' as const;
    try {
      await pod.restartLocked(name);
    } catch (e) {
      const message = `could not restart container ${name}: ${errorMessage(e)}`;
      await appendEvent(pod.dir, { type: 'Warning', reason: 'RestartFailed', container: name, message }).catch(() => undefined);
      throw e;
    }
    const message = `restarted container ${name} (restart ${c.restartCount + 1})`;
    await appendEvent(pod.dir, { type: 'Normal', reason: 'Restarted', container: name, message });
    return 'restarted' as const;
  });
  if (done === 'restarted') await pod.afterRestart(name);
  return done;
}
