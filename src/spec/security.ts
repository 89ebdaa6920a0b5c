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
