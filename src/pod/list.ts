/**
 * Every pod of a state root with its status, from the records alone: pod.json, the shims' exit records, the
 * prober's results and /proc. No runtime call and no lock, so `nspod ps` costs a few file reads a pod.
 */
import { resolvePodOptions, type PodOptions } from './options.js';
import { readPodStatus, type PodStatus } from './status.js';
import { StateRoot, type PodRecord } from './store.js';

export interface ListedPod {
  record: PodRecord;
  status: PodStatus;
}

/** The pods in name order; one being created or removed right now (no readable record) is passed over. */
export async function listPods(options: PodOptions = {}): Promise<ListedPod[]> {
  const store = new StateRoot(resolvePodOptions(options).root);
  const listed = await Promise.all(
    (await store.names()).map(async (name) => {
      try {
        const record = await store.load(name);
        return record ? { record, status: await readPodStatus(record) } : undefined;
      } catch {
        return undefined;
      }
    }),
  );
  return listed.filter((p): p is ListedPod => p !== undefined);
}
