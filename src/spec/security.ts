/**
 * The security settings of a PodSpec that are more than a user and capabilities: which seccomp profile a container
 * runs under (its own, else the pod's, else RuntimeDefault) and whether it may gain privileges; and their rules.
 */
import { capabilityName } from './names.js';

export const SECCOMP_TYPES = ['RuntimeDefault', 'Unconfined', 'Localhost'] as const;
export type SeccompType = (typeof SECCOMP_TYPES)[number];

/** Kubernetes `seccompProfile`: Localhost names a file relative to the profile root (option or env NSPOD_SECCOMP_ROOT). */
export interface SeccompProfile {
  type: SeccompType;
  localhostProfile?: string;
}

/** nspod's default when neither the container nor the pod names a profile, as in Docker and podman. */
export const DEFAULT_SECCOMP: SeccompProfile = { type: 'RuntimeDefault' };

/** The profile a container runs under: its own, else the pod's, else RuntimeDefault. */
export function effectiveSeccomp(pod: { seccompProfile?: SeccompProfile }, c: { seccompProfile?: SeccompProfile }): SeccompProfile {
  return c.seccompProfile ?? pod.seccompProfile ?? DEFAULT_SECCOMP;
}

/** `Localhost/<path>`, `RuntimeDefault` or `Unconfined`: how a profile is named in messages and in inspect. */
export function seccompName(p: SeccompProfile): string {
  return p.type === 'Localhost' ? `Localhost/${p.localhostProfile ?? ''}` : p.type;
}

type Report = (field: string, why: string, hint?: string) => void;

/** A seccompProfile's rules (Kubernetes' validation): a known type, localhostProfile with Localhost only, a descending relative path. */
export function seccompProblems(p: SeccompProfile | undefined, at: string, report: Report): void {
  if (p === undefined) return;
  if (typeof p !== 'object' || p === null) return report(at, 'must be an object');
  if (!SECCOMP_TYPES.includes(p.type)) report(`${at}.type`, `${JSON.stringify(p.type)} must be one of ${SECCOMP_TYPES.join(', ')}`);
  const local = p.localhostProfile;
  if (p.type === 'Localhost') {
    if (local === undefined || local === '')
      return report(`${at}.localhostProfile`, 'is required when type is Localhost', 'a path relative to the seccomp profile root');
  } else if (local !== undefined) {
    return report(`${at}.localhostProfile`, 'may only be set when type is Localhost');
  }
  if (local === undefined) return;
  if (typeof local !== 'string') return report(`${at}.localhostProfile`, 'must be a string');
  if (local.startsWith('/') || local.split('/').includes('..'))
    report(
      `${at}.localhostProfile`,
      `${JSON.stringify(local)} is outside the seccomp profile root: it must be a relative path without '..'`,
      'put the profile under the root (default /var/lib/nspod/seccomp; option seccompRoot, env NSPOD_SECCOMP_ROOT) and name it relative to it',
    );
}

/** uids and gids are int32 in Kubernetes. */
const MAX_ID = 2 ** 31 - 1;

function idProblem(id: unknown): string | undefined {
  if (typeof id !== 'number' || !Number.isInteger(id)) return 'must be an integer >= 0';
  return id < 0 || id > MAX_ID ? `must be between 0 and ${MAX_ID} (it is ${id})` : undefined;
}

/** fsGroup, supplementalGroups and their policies. */
export function groupProblems(
  spec: { fsGroup?: unknown; supplementalGroups?: unknown; supplementalGroupsPolicy?: unknown; fsGroupChangePolicy?: unknown },
  report: Report,
): void {
  if (spec.fsGroup !== undefined) {
    const p = idProblem(spec.fsGroup);
    if (p) report('fsGroup', p);
  }
  if (spec.supplementalGroups !== undefined) {
    if (!Array.isArray(spec.supplementalGroups)) report('supplementalGroups', 'must be a list of group ids');
    else
      for (const [i, id] of spec.supplementalGroups.entries()) {
        const p = idProblem(id);
        if (p) report(`supplementalGroups[${i}]`, p);
      }
  }
  const policy = spec.supplementalGroupsPolicy;
  if (policy !== undefined && policy !== 'Merge' && policy !== 'Strict')
    report('supplementalGroupsPolicy', `${JSON.stringify(policy)} must be Merge or Strict`);
  const change = spec.fsGroupChangePolicy;
  if (change !== undefined && change !== 'Always' && change !== 'OnRootMismatch')
    report('fsGroupChangePolicy', `${JSON.stringify(change)} must be Always or OnRootMismatch`);
}

/**
 * allowPrivilegeEscalation: false is no_new_privs; Kubernetes refuses it with what always escalates: privileged, or
 * capabilities.add SYS_ADMIN.
 */
export function privilegeEscalationProblems(
  c: { allowPrivilegeEscalation?: boolean; privileged?: boolean; capabilities?: { add?: string[] } },
  at: string,
  report: Report,
): void {
  if (c.allowPrivilegeEscalation === undefined) return;
  if (typeof c.allowPrivilegeEscalation !== 'boolean') return report(`${at}.allowPrivilegeEscalation`, 'must be a boolean');
  if (c.allowPrivilegeEscalation) return;
  if (c.privileged === true)
    report(`${at}.allowPrivilegeEscalation`, 'cannot be false together with privileged: true (a privileged container escalates)');
  const add = Array.isArray(c.capabilities?.add) ? c.capabilities.add : [];
  if (add.some((name) => typeof name === 'string' && capabilityName(name) === 'CAP_SYS_ADMIN'))
    report(`${at}.allowPrivilegeEscalation`, 'cannot be false together with capabilities.add SYS_ADMIN');
}

/** A kernel parameter set for the pod (Kubernetes `securityContext.sysctls[]`), in the namespaces every container shares. */
export interface Sysctl {
  name: string;
  value: string;
}

/** The sysctls Kubernetes allows by default (the kubelet's safe set): namespaced, and isolated from the host and other pods. */
export const SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
];

/** `net/ipv4/ip_forward` → `net.ipv4.ip_forward`: Kubernetes takes either separator. */
export function sysctlName(name: string): string {
  return name.includes('/') ? name.replaceAll('/', '.') : name;
}

/** The namespace a sysctl belongs to (as runc and the kubelet tell them), or undefined when it is the host's alone. */
export function sysctlNamespace(name: string): 'ipc' | 'net' | undefined {
  const n = sysctlName(name);
  if (n === 'kernel.sem' || n.startsWith('kernel.shm') || n.startsWith('kernel.msg') || n.startsWith('fs.mqueue.')) return 'ipc';
  if (n.startsWith('net.')) return 'net';
  return undefined;
}

const SYSCTL_NAME = /^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/;

/** The pod's sysctls: each a sysctl name, once, namespaced, and of the pod's own network when it is a net.* one. */
export function sysctlProblems(spec: { sysctls?: unknown; hostNetwork?: boolean }, report: Report): void {
  if (spec.sysctls === undefined) return;
  if (!Array.isArray(spec.sysctls)) return report('sysctls', 'must be a list of {name, value}');
  const seen = new Set<string>();
  for (const [i, s] of (spec.sysctls as Sysctl[]).entries()) {
    const at = `sysctls[${i}]`;
    if (typeof s?.name !== 'string' || s.name.length > 253 || !SYSCTL_NAME.test(s.name)) {
      report(`${at}.name`, `${JSON.stringify(s?.name)} is not a sysctl name (like net.ipv4.ip_local_port_range)`);
      continue;
    }
    if (typeof s.value !== 'string') report(`${at}.value`, 'must be a string');
    const name = sysctlName(s.name);
    if (seen.has(name)) report(`${at}.name`, `duplicate sysctl ${name}`);
    seen.add(name);
    const ns = sysctlNamespace(name);
    if (ns === undefined)
      report(
        `${at}.name`,
        `${name} is not namespaced: setting it would change the host's kernel for every process`,
        'a pod may set net.*, kernel.shm*, kernel.msg*, kernel.sem and fs.mqueue.* sysctls (set others on the host)',
      );
    else if (ns === 'net' && spec.hostNetwork)
      report(`${at}.name`, `${name} is the network namespace's, and a hostNetwork pod has none of its own`);
  }
}

/** Kubernetes `appArmorProfile`: Localhost names a profile loaded on the host. */
export interface AppArmorProfile {
  type: 'RuntimeDefault' | 'Unconfined' | 'Localhost';
  localhostProfile?: string;
}

/** Kubernetes `seLinuxOptions`: the parts of the process's SELinux label. */
export interface SELinuxOptions {
  user?: string;
  role?: string;
  type?: string;
  level?: string;
}

/** An appArmorProfile's rules (Kubernetes' validation): a known type, localhostProfile with Localhost only, and then required. */
export function appArmorProblems(p: AppArmorProfile | undefined, at: string, report: Report): void {
  if (p === undefined) return;
  if (typeof p !== 'object' || p === null) return report(at, 'must be an object');
  if (!SECCOMP_TYPES.includes(p.type)) report(`${at}.type`, `${JSON.stringify(p.type)} must be one of ${SECCOMP_TYPES.join(', ')}`);
  if (p.type === 'Localhost' && (typeof p.localhostProfile !== 'string' || p.localhostProfile.trim() === ''))
    report(`${at}.localhostProfile`, 'is required when type is Localhost', 'the name of an AppArmor profile loaded on the host');
  else if (p.type !== 'Localhost' && p.localhostProfile !== undefined)
    report(`${at}.localhostProfile`, 'may only be set when type is Localhost');
}
