/**
 * What each container of a pod runs with, read back from its bundle's config.json (what the runtime was given): user
 * and groups, capabilities, no_new_privs, seccomp, oom_score_adj, pids limit, masked paths, read-only root. `nspod inspect`.
 */
import path from 'node:path';
import { readJson } from '../host/files.js';
import type { Spec } from '../oci/spec.js';
import { effectiveSeccomp, seccompName } from '../spec/security.js';
import type { ContainerSpec, PodSpec } from '../spec/spec.js';
import type { ContainerRecord } from './store.js';

export interface EffectiveSecurity {
  container: string;
  /** `RuntimeDefault`, `Unconfined`, `Localhost/<path>`: the profile the container's filter was made from (none: Unconfined). */
  seccomp: string;
  noNewPrivileges: boolean;
  privileged: boolean;
  user: { uid: number; gid: number; groups: number[] };
  /** The effective set, CAP_ names. */
  capabilities: string[];
  oomScoreAdj: number | undefined;
  pidsLimit: number | undefined;
  readOnlyRootFilesystem: boolean;
  maskedPaths: string[];
  readonlyPaths: string[];
  cgroupNamespace: boolean;
}

/** The settings of one container from its config.json; `spec` names the seccomp profile the filter was made from. */
export function effectiveSecurity(pod: PodSpec, c: ContainerSpec | undefined, name: string, config: Spec): EffectiveSecurity {
  const p = config.process;
  const user = p?.user;
  const privileged = c?.privileged === true;
  return {
    container: name,
    seccomp: config.linux?.seccomp && c ? seccompName(effectiveSeccomp(pod, c)) : 'Unconfined',
    noNewPrivileges: p?.noNewPrivileges === true,
    privileged,
    user: { uid: user?.uid ?? 0, gid: user?.gid ?? 0, groups: user?.additionalGids ?? [] },
    capabilities: p?.capabilities?.effective ?? [],
    oomScoreAdj: p?.oomScoreAdj,
    pidsLimit: config.linux?.resources?.pids?.limit,
    readOnlyRootFilesystem: config.root?.readonly === true,
    maskedPaths: config.linux?.maskedPaths ?? [],
    readonlyPaths: config.linux?.readonlyPaths ?? [],
    cgroupNamespace: (config.linux?.namespaces ?? []).some((n) => n.type === 'cgroup'),
  };
}

/** Each container's settings, from the bundles on disk (a container whose bundle is gone is left out). */
export async function readEffectiveSecurity(pod: PodSpec, containers: readonly ContainerRecord[]): Promise<EffectiveSecurity[]> {
  const out: EffectiveSecurity[] = [];
  for (const r of containers) {
    const config = await readJson<Spec>(path.join(r.bundle, 'config.json')).catch(() => undefined);
    if (!config) continue;
    const declared = [...(pod.initContainers ?? []), ...pod.containers].find((c) => c.name === r.name);
    out.push(effectiveSecurity(pod, r.spec ?? declared, r.name, config));
  }
  return out;
}
