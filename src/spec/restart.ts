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
