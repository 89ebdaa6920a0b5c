/**
 * A container as it runs, made at each start as the kubelet does: the pod's facts (its IPs once the network is
 * attached, the host's name, addresses, CPUs and memory), its ConfigMaps and Secrets read now, its environment
 * resolved and `$(VAR)` references expanded (src/spec/env.ts), then its image's defaults applied.
 */
import { withImageDefaults, type ImageDefaults } from '../image/config.js';
import { networkStatus } from '../network/attachment.js';
import { nodeFacts, type NodeFacts } from '../host/node.js';
import type { PodFacts } from '../spec/downward.js';
import { resolveContainerEnv, type ConfigLookup, type ResolvedEnv } from '../spec/env.js';
import type { ContainerSpec, PodSpec } from '../spec/spec.js';
import { isProjection, volumeFiles } from '../spec/volumes.js';
import type { PodRecord } from './store.js';

/** The facts the downward API reads, from the pod's record (its IP, once attached) and the host. */
export function podFacts(record: Pick<PodRecord, 'spec' | 'uid' | 'network'>, node: NodeFacts = nodeFacts()): PodFacts {
  const podIP = record.network ? networkStatus('cni', record.network).podIP : undefined;
  return { spec: record.spec, uid: record.uid, podIPs: podIP ? [podIP] : [], ...node };
}

export interface ContainerAsRun extends ResolvedEnv {
  /** Env resolved, command and args expanded, the image's defaults applied: what the bundle is built from. */
  container: ContainerSpec;
}

/** The container as it runs; throws CONFIG_NOT_FOUND when a ConfigMap or Secret it needs (or a key) is missing. */
export function containerAsRun(
  pod: PodSpec,
  c: ContainerSpec,
  defaults: ImageDefaults,
  facts: PodFacts,
  lookup: ConfigLookup,
): ContainerAsRun {
  const resolved = resolveContainerEnv(pod, c, facts, lookup);
  const { envFrom: _envFrom, ...own } = c;
  const expanded: ContainerSpec = { ...own, env: resolved.env };
  if (resolved.command) expanded.command = resolved.command;
  if (resolved.args) expanded.args = resolved.args;
  return { ...resolved, container: withImageDefaults(expanded, defaults), env: { ...defaults.env, ...resolved.env } };
}

/**
 * Before anything of the pod is made: every ConfigMap, Secret and key it needs is there (CONFIG_NOT_FOUND names the
 * first that is not), so that a pod that cannot start leaves nothing behind.
 */
export function checkPodConfig(spec: PodSpec, lookup: ConfigLookup, facts: PodFacts): void {
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) resolveContainerEnv(spec, c, facts, lookup);
  for (const v of spec.volumes ?? []) if (isProjection(v)) volumeFiles(v, spec, facts, lookup);
}
