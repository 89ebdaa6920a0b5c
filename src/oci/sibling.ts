import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ALL_CAPABILITIES, capabilityName } from '../spec/names.js';
import { DEFAULT_PIDS_LIMIT } from '../spec/pids.js';
import type { ContainerSpec } from '../spec/spec.js';
import {
  baseMounts,
  cgroupsPath,
  DEFAULT_CAPABILITIES,
  maskedPaths,
  NO_HOST_FACTS,
  nofileRlimit,
  READONLY_PATHS,
  type HostSpecFacts,
} from './common.js';
import { OCI_VERSION, type LinuxResources, type Mount, type PauseNamespaces, type Spec } from './spec.js';
import { seccompSection, type ProfileFile, type SeccompTarget } from './seccomp.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface SiblingSpecInput {
  pod: { name: string; hostname: string; cgroup: string; shareProcessNamespace?: boolean | undefined; hostNetwork?: boolean | undefined };
  /** The container, with image defaults (entrypoint, env, ...) already applied and `$(VAR)` references expanded. */
  container: ContainerSpec;
  /** Its resolved environment, in order (sources read, references expanded), image env included. */
  env: Record<string, string>;
  /** The pause whose namespaces the container joins. */
  pause: PauseNamespaces;
  /** The container's rootfs (its overlay mount). */
  rootfs: string;
  /** The caller's RLIMIT_NOFILE hard limit: never asked for more. */
  nofileHardLimit: number;
  /** Bind mounts for volumes, /etc/hosts and the like. */
  extraMounts?: Mount[];
  /** Its oom_score_adj (its pod's QoS class gives it: src/spec/qos.ts); 0 when not given, never the caller's own; at least `host.oomScoreAdjMin`. */
  oomScoreAdj?: number;
  /** Its pids limit when its resources name none: default 2048; 0 or less sets none. */
  pidsLimit?: number;
  /** The host's masked thermal_throttle dirs and whether a read-only bind can be recursive. */
  host?: HostSpecFacts;
  /** The host accounts swap in its memory cgroups (v2, or v1 with memsw): a memory limit then allows no swap. */
  swapAccounting?: boolean;
  /**
   * The container's seccomp profile (loadSeccompProfile) and the host it is made for (its capabilities are the
   * container's); none: no filter. A privileged container gets none either way, as in Docker and containerd.
   */
  seccomp?: { profile: ProfileFile; host: Omit<SeccompTarget, 'capabilities'> } | undefined;
  /** The AppArmor profile and SELinux label of its process, where the host has those modules. */
  lsm?: { apparmorProfile?: string; selinuxLabel?: string } | undefined;
  /** The process user with every group it is in, as resolved from the image (default: the container's user, gid 0 when it has none). */
  user?: { uid: number; gid: number; additionalGids?: number[] } | undefined;
}

/** The capability set of a container: the defaults, plus `add`, minus `drop` (`ALL` drops every one). */
export function containerCapabilities(c: Pick<ContainerSpec, 'capabilities' | 'privileged'>): string[] {
  if (c.privileged) return [...ALL_CAPABILITIES];
  const drop = (c.capabilities?.drop ?? []).map(capabilityName);
  const base = drop.includes('CAP_ALL') ? [] : DEFAULT_CAPABILITIES.filter((cap) => !drop.includes(cap));
  const add = (c.capabilities?.add ?? []).map(capabilityName);
  const set = add.includes('CAP_ALL') ? [...ALL_CAPABILITIES] : [...base, ...add];
  return [...new Set(set)];
}

/** The cgroup resources of a container; a memory limit with swap accounted sets memory+swap to it: no swap, Kubernetes' NoSwap. */
export function containerResources(
  c: ContainerSpec,
  privileged: boolean,
  swapAccounting = false,
  pidsLimit = DEFAULT_PIDS_LIMIT,
): LinuxResources {
  const r = c.resources ?? {};
  const resources: LinuxResources = { devices: [{ allow: privileged, access: 'rwm' }] };
  if (r.memoryBytes !== undefined) {
    const limit = Math.round(r.memoryBytes);
    resources.memory = swapAccounting ? { limit, swap: limit } : { limit };
  }
  if (r.cpu !== undefined || r.cpuShares !== undefined) {
    resources.cpu = {};
    if (r.cpu !== undefined) {
      resources.cpu.period = 100_000;
      resources.cpu.quota = Math.max(1000, Math.round(r.cpu * 100_000));
    }
    if (r.cpuShares !== undefined) resources.cpu.shares = Math.max(2, Math.round(r.cpuShares));
  }
  const pids = r.pids ?? pidsLimit;
  if (pids > 0) resources.pids = { limit: Math.round(pids) };
  return resources;
}

/** `KEY=value` list: PATH and HOSTNAME first, then the container's own (which may override them). */
export function containerEnv(own: Record<string, string>, hostname: string): string[] {
  const env = new Map<string, string>([
    ['PATH', DEFAULT_PATH],
    ['HOSTNAME', hostname],
  ]);
  for (const [k, v] of Object.entries(own)) env.set(k, v);
  return [...env].map(([k, v]) => `${k}=${v}`);
}

/**
 * config.json of an app container: its own mount namespace, rootfs and cgroup;
 * the pause's network, ipc and uts namespaces joined by path, and its pid
 * namespace too when the pod shares one.
 */
export function buildSiblingSpec(input: SiblingSpecInput): Spec {
  const { pod, container: c, pause } = input;
  const privileged = c.privileged === true;
  const caps = containerCapabilities(c);
  const args = [...(c.command ?? []), ...(c.args ?? [])];
  const namespaces: NonNullable<Spec['linux']>['namespaces'] = [
    { type: 'mount' },
    pod.shareProcessNamespace ? { type: 'pid', path: pause.paths.pid } : { type: 'pid' },
    { type: 'ipc', path: pause.paths.ipc },
    { type: 'uts', path: pause.paths.uts },
    // Its own cgroup namespace: /sys/fs/cgroup shows its own cgroup (JVM, Node and Go read their limits there).
    { type: 'cgroup' },
  ];
  if (!pod.hostNetwork) namespaces.push({ type: 'network', path: pause.paths.network });
  const host = input.host ?? NO_HOST_FACTS;
  const mounts = baseMounts({ privateIpc: false, sysfsReadOnly: !privileged, cgroup: privileged ? 'rw' : 'ro' });
  const seccomp =
    input.seccomp && !privileged ? seccompSection(input.seccomp.profile, { ...input.seccomp.host, capabilities: caps }) : undefined;
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: false,
      user: input.user ?? { uid: c.user?.uid ?? 0, gid: c.user?.gid ?? 0 },
      args,
      env: containerEnv(input.env, pod.hostname),
      cwd: c.workingDir ?? '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      rlimits: [nofileRlimit(1_048_576, input.nofileHardLimit)],
      ...(input.lsm?.apparmorProfile ? { apparmorProfile: input.lsm.apparmorProfile } : {}),
      ...(input.lsm?.selinuxLabel ? { selinuxLabel: input.lsm.selinuxLabel } : {}),
      noNewPrivileges: c.allowPrivilegeEscalation === false,
      oomScoreAdj: Math.max(input.oomScoreAdj ?? 0, host.oomScoreAdjMin),
    },
    root: { path: input.rootfs, readonly: c.readOnlyRootFilesystem === true },
    mounts: [...mounts, ...(input.extraMounts ?? [])],
    annotations: { 'io.kubernetes.pod.name': pod.name, 'io.kubernetes.container.name': c.name },
    linux: {
      namespaces,
      cgroupsPath: cgroupsPath(pod.cgroup, c.name),
      resources: containerResources(c, privileged, input.swapAccounting === true, input.pidsLimit),
      ...(privileged ? {} : { maskedPaths: maskedPaths(host), readonlyPaths: READONLY_PATHS }),
      ...(seccomp ? { seccomp } : {}),
    },
  };
}

/** Writes an app container's `config.json` into its bundle dir, once it passed the runtime-spec schema (as writePauseBundle does). */
export async function writeSiblingBundle(bundle: string, input: SiblingSpecInput): Promise<Spec> {
  const spec = buildSiblingSpec(input);
  // The schema's validator is loaded by the bundle writers alone: stopping, listing and removing pods never need it.
  const { assertValidSpec } = await import('./validate.js');
  assertValidSpec(spec, `container ${input.container.name}`);
  await writeFile(path.join(bundle, 'config.json'), JSON.stringify(spec, null, 2), { mode: 0o600 });
  return spec;
}

/** A bind mount of a host file or directory into a container; read-only with its submounts too when `recursive` (`rro`). */
export function bindMount(source: string, destination: string, readOnly = false, recursive = false): Mount {
  const options = ['rbind', 'rprivate', readOnly ? 'ro' : 'rw'];
  if (readOnly && recursive) options.push('rro');
  return { destination, type: 'bind', source, options };
}
