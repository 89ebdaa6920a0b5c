/** restartPolicy, as Kubernetes means it: pure rules shared by the supervisor, the CLI and the waits. */
import type { PodSpec, RestartPolicy } from './spec.js';

/** Kubernetes' default restart policy is Always. */
export function restartPolicy(spec: Pick<PodSpec, 'restartPolicy'>): RestartPolicy {
  return spec.restartPolicy ?? 'Always';
}

/** Does an exit with this code call for a restart under this policy? */
export function shouldRestart(policy: RestartPolicy, exitCode: number): boolean {
  return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
}

/** Back-off before restart number `restarts + 1`: base × 2^restarts, at most 5 minutes. */
export function restartBackoffMs(restarts: number, base = Number(process.env.NSPOD_RESTART_BACKOFF_MS ?? 1000)): number {
  return Math.min(300_000, base * 2 ** Math.min(restarts, 20));
}

/**
 * Does this exit of an app container that has been restarted `restarts` times call for another start? Its restartPolicy
 * says, except in a Job's pod (backoffLimit): a failure is retried until the limit is used up, a success never is.
 */
export function restartsAfter(spec: Pick<PodSpec, 'restartPolicy' | 'backoffLimit'>, exitCode: number, restarts: number): boolean {
  if (spec.backoffLimit !== undefined) return exitCode !== 0 && restarts < spec.backoffLimit;
  return shouldRestart(restartPolicy(spec), exitCode);
}

/** Has this app container stopped for good (exited, and nothing will start it again)? */
export function exitedForGood(
  spec: PodSpec,
  c: { state: string; exitCode?: number | undefined; restartCount?: number | undefined },
): boolean {
  return c.state === 'exited' && !restartsAfter(spec, c.exitCode ?? 1, c.restartCount ?? 0);
}

/** How a pod's apps came to an end: they exited for good, the pod was stopped, or it failed (its pause died). */
export interface PodOutcome {
  how: 'exited' | 'stopped' | 'failed';
  /** The first non-zero exit code among the app containers, else 0. */
  exitCode: number;
}

/** Are the pod's app containers done for good, and with which exit code? undefined while one of them may still run. */
export function podOutcome(
  spec: PodSpec,
  status: { phase: string; containers: readonly { init: boolean; state: string; exitCode?: number | undefined; restartCount?: number }[] },
): PodOutcome | undefined {
  const apps = status.containers.filter((c) => !c.init);
  const how =
    status.phase === 'Stopped'
      ? 'stopped'
      : status.phase === 'Failed'
        ? 'failed'
        : apps.every((c) => exitedForGood(spec, c))
          ? 'exited'
          : undefined;
  return how && { how, exitCode: apps.find((c) => (c.exitCode ?? 0) !== 0)?.exitCode ?? 0 };
}
