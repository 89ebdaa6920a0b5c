/**
 * restartPolicy, as Kubernetes means it: pure rules shared by the supervisor, the CLI and the waits. The pod's policy,
 * a container's own (restartPolicy, restartPolicyRules: Kubernetes 1.34+), and sidecars (init containers with
 * restartPolicy Always), which restart whatever the pod says and never keep the pod from completing.
 */
import type { ContainerRestartRule, ContainerSpec, PodSpec, RestartPolicy } from './spec.js';

/** Kubernetes' default restart policy is Always. */
export function restartPolicy(spec: Pick<PodSpec, 'restartPolicy'>): RestartPolicy {
  return spec.restartPolicy ?? 'Always';
}

/** Is this init container a sidecar (Kubernetes' native sidecar: restartPolicy Always)? */
export function isSidecar(c: Pick<ContainerSpec, 'restartPolicy'>): boolean {
  return c.restartPolicy === 'Always';
}

/** The pod's sidecars, in start order. */
export function sidecars(spec: Pick<PodSpec, 'initContainers'>): ContainerSpec[] {
  return (spec.initContainers ?? []).filter(isSidecar);
}

/** The app container or sidecar of that name (init containers that run to completion are not looked up). */
export function runningContainerSpec(spec: Pick<PodSpec, 'containers' | 'initContainers'>, name: string): ContainerSpec | undefined {
  return spec.containers.find((c) => c.name === name) ?? sidecars(spec).find((c) => c.name === name);
}

/** Is `c`, a container of `spec`, one of its sidecars? */
function isSidecarSpec(spec: Pick<PodSpec, 'containers'>, c: ContainerSpec): boolean {
  return !spec.containers.includes(c) && isSidecar(c);
}

/** Is this status or record an app container's (not an init container's, not a sidecar's)? */
export function isApp(c: { init: boolean; sidecar?: boolean | undefined }): boolean {
  return !c.init && c.sidecar !== true;
}

/** Does a container restart rule match an exit with this code? */
export function ruleMatches(rule: ContainerRestartRule, exitCode: number): boolean {
  const listed = (rule.exitCodes.values ?? []).includes(exitCode);
  return rule.exitCodes.operator === 'In' ? listed : !listed;
}

/** The action of the first of the container's restartPolicyRules that matches an exit with this code (rules go in order). */
export function matchingRuleAction(
  c: Pick<ContainerSpec, 'restartPolicyRules'> | undefined,
  exitCode: number,
): ContainerRestartRule['action'] | undefined {
  return c?.restartPolicyRules?.find((rule) => ruleMatches(rule, exitCode))?.action;
}

/** Does this exit of the app container or sidecar `name` restart the whole pod in place (action RestartAllContainers)? */
export function restartsAllAfter(spec: PodSpec, name: string, exitCode: number): boolean {
  return matchingRuleAction(runningContainerSpec(spec, name), exitCode) === 'RestartAllContainers';
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
 * Does this exit of the container `name` (an app container or a sidecar), restarted `restarts` times, call for another
 * start? A sidecar always restarts. Else the first of its restartPolicyRules that matches restarts it (alone or with the
 * whole pod); then, in a Job's
 * pod (backoffLimit), a failure is retried until the limit is used up, a success never is; else the container's
 * restartPolicy says, or the pod's.
 */
export function restartsAfter(spec: PodSpec, name: string, exitCode: number, restarts: number): boolean {
  const c = runningContainerSpec(spec, name);
  if (c && isSidecarSpec(spec, c)) return true;
  // Restart starts it again, RestartAllContainers the whole pod with it.
  if (matchingRuleAction(c, exitCode)) return true;
  if (spec.backoffLimit !== undefined) return exitCode !== 0 && restarts < spec.backoffLimit;
  return shouldRestart(c?.restartPolicy ?? restartPolicy(spec), exitCode);
}

/** Can any exit of the container `name` lead to a restart (so that its exit must wake the supervisor)? */
export function mayRestart(spec: PodSpec, name: string): boolean {
  const c = runningContainerSpec(spec, name);
  if (c && isSidecarSpec(spec, c)) return true;
  if ((c?.restartPolicyRules ?? []).length > 0 || (spec.backoffLimit ?? 0) > 0) return true;
  return (c?.restartPolicy ?? restartPolicy(spec)) !== 'Never';
}

/** Has this container stopped for good (exited, and nothing will start it again)? */
export function exitedForGood(
  spec: PodSpec,
  c: { name?: string; state: string; exitCode?: number | undefined; restartCount?: number | undefined },
): boolean {
  // Without a name, the pod's restartPolicy decides.
  return c.state === 'exited' && !restartsAfter(spec, c.name ?? '', c.exitCode ?? 1, c.restartCount ?? 0);
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
  status: {
    phase: string;
    containers: readonly {
      name?: string;
      init: boolean;
      sidecar?: boolean | undefined;
      state: string;
      exitCode?: number | undefined;
      restartCount?: number;
    }[];
  },
): PodOutcome | undefined {
  // Sidecars do not count: the pod completes when its apps do, and its sidecars are then stopped.
  const apps = status.containers.filter(isApp);
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
