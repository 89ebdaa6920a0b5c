/**
 * activeDeadlineSeconds with no Node process resident: a detached shell that sleeps a second at a time until the
 * deadline's second, then execs `nspod internal deadline POD UID` (a shell and a sleep, about 1 MB of RSS together,
 * moved into the pod's supervisors cgroup as the shims are; a sleep killed with the creator's cgroup before that move is
 * followed by the next one) wakes nspod when the pod has been active that long, counted from its creation as the
 * kubelet counts from the pod's start, to the second. The pod's stop kills it.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../paths.js';
import { isProcessAlive, processStartTime, type ProcessIdentity } from '../host/proc.js';
import type { PodRecord } from './store.js';

/** Kubernetes' reason and message for a pod stopped at its deadline. */
export const DEADLINE_REASON = 'DeadlineExceeded';
export const DEADLINE_MESSAGE = 'Pod was active on the node longer than the specified deadline';

/** Milliseconds left until the pod's deadline (0 when it is past), or undefined when it has none. */
export function deadlineLeftMs(record: Pick<PodRecord, 'createdAt' | 'spec'>, now = Date.now()): number | undefined {
  const seconds = record.spec.activeDeadlineSeconds;
  if (seconds === undefined) return undefined;
  return Math.max(0, Date.parse(record.createdAt) + seconds * 1000 - now);
}

/** Starts the pod's deadline timer; returns its identity (undefined when the pod has no deadline). */
export function startDeadlineTimer(record: PodRecord, root: string): ProcessIdentity | undefined {
  const left = deadlineLeftMs(record);
  if (left === undefined) return undefined;
  const command = [
    process.execPath,
    path.join(packageRoot, 'bin', 'nspod.js'),
    '--root',
    root,
    'internal',
    'deadline',
    record.name,
    record.uid,
  ];
  const due = Math.ceil((Date.now() + left) / 1000);
  const script = `while [ "$(date +%s)" -lt ${due} ]; do sleep 1; done; exec "$@"`;
  const child = spawn('/bin/sh', ['-c', script, 'nspod-deadline', ...command], { detached: true, stdio: 'ignore' });
  child.unref();
  const pid = child.pid!;
  return { pid, startTime: processStartTime(pid) ?? 0 };
}

/** Ends the timer, unless it is gone, another process by now, or this very process (the timer stopping its pod). */
export function stopDeadlineTimer(timer: ProcessIdentity | undefined): void {
  if (!timer || timer.pid === process.pid || !isProcessAlive(timer)) return;
  try {
    // Its process group: the shell and its sleep.
    process.kill(-timer.pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
}
