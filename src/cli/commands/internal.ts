/**
 * `nspod internal ...`: what nspod's own processes run; `container-exited` is the exit command a shim execs,
 * `owner-exited` what the pause's shim runs when the owner of a pod that dies with it exits.
 */
import { Pod } from '../../pod/pod.js';
import { onOwnerExited } from '../../pod/owner.js';
import { podOptions, type GlobalOptions } from '../options.js';

/** The deadline timer's command (src/pod/deadline.ts): stop the pod of that uid if it is still active. */
export async function deadline(name: string, uid: string, g: GlobalOptions): Promise<number> {
  const pod = await Pod.load(name, podOptions(g));
  await pod.onDeadline(uid);
  return 0;
}

export async function containerExited(name: string, container: string, g: GlobalOptions): Promise<number> {
  const pod = await Pod.load(name, podOptions(g));
  await pod.onContainerExit(container);
  return 0;
}

export async function ownerExited(name: string, uid: string, g: GlobalOptions): Promise<number> {
  await onOwnerExited(name, uid, podOptions(g));
  return 0;
}
