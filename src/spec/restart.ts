/** restartPolicy, as Kubernetes means it: pure rules shared by the supervisor, the CLI and the waits. */
import type { PodSpec, RestartPolicy } from './spec.js';

/** Kubernetes' default restart policy is Always. */
export function restartPolicy(spec: PodSpec): RestartPolicy {
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

/** Has this app container stopped for good (exited, and its policy will not start it again)? */
export function exitedForGood(spec: PodSpec, c: { state: string; exitCode?: number | undefined }): boolean {
  return c.state === 'exited' && !shouldRestart(restartPolicy(spec), c.exitCode ?? 1);
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
  status: { phase: string; containers: readonly { init: boolean; state: string; exitCode?: number | undefined }[] },
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
