/**
 * Pods that die with their owner (`removeWhen: 'owner-exits'`, testcontainers' Ryuk without a daemon): the pause's
 * shim watches the owner through a pidfd (pause/owner.h) and, when it exits, runs `nspod internal owner-exited POD
 * UID`, which lands here. Nothing of nspod stays resident for it; gc removes such pods whose owner is gone too.
 */
import { isProcessAlive } from '../host/proc.js';
import { gcPods } from './gc.js';
import { Pod } from './pod.js';
import { resolvePodOptions, type PodOptions } from './options.js';
import { StateRoot, type PodRecord } from './store.js';

/** Is this a pod whose owner is gone (a pid that is not running, or running with another start time)? */
export function ownerGone(record: Pick<PodRecord, 'owner'>): boolean {
  return record.owner !== undefined && !isProcessAlive(record.owner);
}

/**
 * The owner of pod `name` (of creation `uid`) exited: the pod is stopped, with no grace (nobody waits on it), and
 * removed. A pod still being made waits for its creator; one whose creator died too is half-made, for gc.
 */
export async function onOwnerExited(
  name: string,
  uid: string,
  options: PodOptions = {},
  patienceMs = 600_000,
): Promise<'removed' | 'collected' | 'ignored'> {
  const { root } = resolvePodOptions(options);
  const store = new StateRoot(root);
  const until = Date.now() + patienceMs;
  for (;;) {
    const record = await store.load(name).catch(() => undefined);
    if (!record || record.uid !== uid || !ownerGone(record)) return 'ignored';
    if (record.phase === 'Creating') {
      const creatorRuns = record.creator !== undefined && isProcessAlive(record.creator) && !record.rollbackFailed;
      if (creatorRuns && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      await gcPods({ root, runtime: options.runtime });
      return 'collected';
    }
    await (await Pod.load(name, options)).remove({ gracePeriodSeconds: 0 });
    return 'removed';
  }
}
