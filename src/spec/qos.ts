/**
 * Kubernetes' QoS classes and the kubelet's oom_score_adj per class (pkg/apis/core/v1/helper/qos, pkg/kubelet/qos):
 * what the host's OOM killer takes first under memory pressure is what Kubernetes would have it take.
 */
import type { ContainerSpec, PodSpec } from './spec.js';

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

/** The kubelet's oom_score_adj of a Guaranteed pod's containers, of a BestEffort pod's, and of the pod's sandbox (the pause). */
export const GUARANTEED_OOM_SCORE_ADJ = -997;
export const BEST_EFFORT_OOM_SCORE_ADJ = 1000;
export const PAUSE_OOM_SCORE_ADJ = -998;

type Amounts = { cpu?: number; memory?: number };

/**
 * A container's requests and limits of cpu (millicores) and memory (bytes), zero and unset left out. A request not
 * written is its limit, as the API server defaults it; a typed spec's cpuShares alone is a cpu request.
 */
function amounts(c: ContainerSpec): { requests: Amounts; limits: Amounts } {
  const r = c.resources ?? {};
  const millis = (cores: number | undefined) => (cores === undefined ? undefined : Math.round(cores * 1000));
  const cpuRequest =
    millis(r.cpuRequest) ??
    (r.cpu !== undefined ? millis(r.cpu) : r.cpuShares !== undefined ? Math.round((r.cpuShares * 1000) / 1024) : undefined);
  const positive = (a: Amounts): Amounts => Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined && v > 0)) as Amounts;
  return {
    requests: positive({ cpu: cpuRequest, memory: r.memoryRequestBytes ?? r.memoryBytes }),
    limits: positive({ cpu: millis(r.cpu), memory: r.memoryBytes }),
  };
}

/**
 * The pod's QoS class as the API server computes it (GetPodQOS), over its init and app containers: BestEffort when none
 * requests or limits cpu or memory; Guaranteed when every container limits both and the pod's requests equal its limits;
 * else Burstable.
 */
export function podQosClass(spec: Pick<PodSpec, 'containers' | 'initContainers'>): QosClass {
  const requests: Amounts = {};
  const limits: Amounts = {};
  let guaranteed = true;
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    const own = amounts(c);
    for (const [k, v] of Object.entries(own.requests) as [keyof Amounts, number][]) requests[k] = (requests[k] ?? 0) + v;
    for (const [k, v] of Object.entries(own.limits) as [keyof Amounts, number][]) limits[k] = (limits[k] ?? 0) + v;
    if (own.limits.cpu === undefined || own.limits.memory === undefined) guaranteed = false;
  }
  const names = (a: Amounts) => Object.keys(a) as (keyof Amounts)[];
  if (names(requests).length === 0 && names(limits).length === 0) return 'BestEffort';
  if (guaranteed && names(requests).every((k) => limits[k] === requests[k]) && names(requests).length === names(limits).length) {
    return 'Guaranteed';
  }
  return 'Burstable';
}

/**
 * The kubelet's oom_score_adj for a container (GetContainerOOMScoreAdjust): -997 in a Guaranteed pod, 1000 in a BestEffort
 * one; in a Burstable pod 1000 - 1000 × its memory request / the node's memory, kept within 3..999 (above any
 * Guaranteed container's, below a BestEffort one's).
 */
export function containerOomScoreAdj(qos: QosClass, c: ContainerSpec, memoryCapacityBytes: number): number {
  if (qos === 'Guaranteed') return GUARANTEED_OOM_SCORE_ADJ;
  if (qos === 'BestEffort') return BEST_EFFORT_OOM_SCORE_ADJ;
  const request = amounts(c).requests.memory ?? 0;
  const adj = 1000 - Math.trunc((1000 * request) / memoryCapacityBytes);
  if (adj < 1000 + GUARANTEED_OOM_SCORE_ADJ) return 1000 + GUARANTEED_OOM_SCORE_ADJ;
  if (adj === BEST_EFFORT_OOM_SCORE_ADJ) return adj - 1;
  return adj;
}
