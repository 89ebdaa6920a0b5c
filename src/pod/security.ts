/**
 * A pod's security settings as its containers are made: each container's seccomp profile chosen (its own, the pod's,
 * RuntimeDefault) and read, and its user and groups as the kubelet and containerd make them (runAsNonRoot checked once
 * the image's User is applied), once before anything of the pod is made (a bad one leaves no trace) and again at each start.
 */
import path from 'node:path';
import { NspodError } from '../errors.js';
import { readJson } from '../host/files.js';
import type { Spec } from '../oci/spec.js';
import type { ExecOptions } from '../runtime/runtime.js';
import { memberGroups, passwdEntry, withImageDefaults, type ImageDefaults } from '../image/config.js';
import { readImageFile } from '../image/resolve.js';
import { appArmorEnabled, appArmorProfileLoaded, seLinuxEnabled } from '../host/lsm.js';
import { loadSeccompProfile, seccompHost, type ProfileFile } from '../oci/seccomp.js';
import type { SiblingSpecInput } from '../oci/sibling.js';
import { effectiveSeccomp } from '../spec/security.js';
import type { ContainerSpec, PodSpec } from '../spec/spec.js';
import type { ContainerRecord } from './store.js';

/** Whether a container of the pod reads a Localhost profile (the pod's record then keeps the profile root). */
export function usesLocalhostSeccomp(spec: PodSpec): boolean {
  return [...(spec.initContainers ?? []), ...spec.containers].some((c) => effectiveSeccomp(spec, c).type === 'Localhost');
}

/** The seccomp input of a container's bundle; undefined when it runs unconfined. */
export async function containerSeccomp(spec: PodSpec, c: ContainerSpec, root: string): Promise<SiblingSpecInput['seccomp']> {
  const profile: ProfileFile | undefined = await loadSeccompProfile(effectiveSeccomp(spec, c), root, c.name);
  return profile ? { profile, host: seccompHost() } : undefined;
}

/** Every container's profile can be read: called before anything of the pod is made. */
export async function checkSeccompProfiles(spec: PodSpec, root: string): Promise<void> {
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) await containerSeccomp(spec, c, root);
}

/** The process user of a container's bundle: uid, primary gid, and every group it is in. */
export interface ProcessUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

/**
 * A container's user as containerd makes it: runAsUser, else the image's User, else root; runAsGroup, else the image's
 * gid (for the image's User) or the image's /etc/passwd gid of runAsUser, else 0. Its groups: the primary gid, the
 * groups the image's /etc/group lists the user in (policy Merge, the default), fsGroup and supplementalGroups.
 * `c` has the image's defaults applied (withImageDefaults); `rootfs` is the image's.
 */
export async function processUser(spec: PodSpec, c: ContainerSpec, rootfs: string): Promise<ProcessUser> {
  const uid = c.user?.uid ?? 0;
  const [passwd, group] = await Promise.all([readImageFile(rootfs, 'etc/passwd'), readImageFile(rootfs, 'etc/group')]);
  const entry = passwdEntry(passwd, uid);
  const gid = c.user?.gid ?? entry?.gid ?? 0;
  const merged = spec.supplementalGroupsPolicy !== 'Strict' && entry ? memberGroups(group, entry.name) : [];
  const groups = [gid, ...merged, ...(spec.fsGroup === undefined ? [] : [spec.fsGroup]), ...(spec.supplementalGroups ?? [])];
  return { uid, gid, additionalGids: [...new Set(groups)] };
}

/**
 * runAsNonRoot, checked as the kubelet checks it: after the image's User is applied, a container that would run as
 * uid 0 is refused, naming it. Called before anything of the pod is made.
 */
export function checkRunAsNonRoot(c: ContainerSpec, defaults: ImageDefaults): void {
  if (!c.runAsNonRoot) return;
  const uid = withImageDefaults(c, defaults).user?.uid ?? 0;
  if (uid !== 0) return;
  const why = c.user?.uid === 0 ? 'its runAsUser is 0' : defaults.user ? `its image's User is ${defaults.user}` : 'its image names no User';
  throw new NspodError('INVALID_SPEC', `container ${c.name} has runAsNonRoot and would run as root (${why})`, {
    hint: 'give it a runAsUser other than 0, or use an image whose User is not root',
  });
}

/**
 * The user a process exec'd into a container runs as, as kubectl exec does: the container's own (runc defaults to it,
 * crun to root, so it is always given). Records older than the resolved user fall back to the spec with the image's User.
 */
export function execUser(c: Pick<ContainerRecord, 'user' | 'spec' | 'image'>): { uid: number; gid: number } | undefined {
  if (c.user) return c.user;
  const own = c.spec && withImageDefaults(c.spec, c.image ?? {}).user;
  return own?.uid === undefined ? undefined : { uid: own.uid, gid: own.gid ?? 0 };
}

/**
 * How a process is exec'd into `c` (pod.exec, exec hooks): as its user (`options.user` else execUser), over its bundle's
 * process, so that it has the container's supplementary groups, capabilities and no_new_privs with runc and crun alike.
 */
export async function execOptionsFor(c: ContainerRecord, options: ExecOptions = {}): Promise<ExecOptions> {
  const user = options.user ?? execUser(c);
  const base = (await readJson<Spec>(path.join(c.bundle, 'config.json')).catch(() => undefined))?.process;
  return { ...options, ...(user ? { user } : {}), ...(base ? { base } : {}) };
}

/** The host's security modules, as the pod's create reads them once. */
export interface HostLsm {
  appArmor: boolean;
  seLinux: boolean;
}

export function hostLsm(): HostLsm {
  return { appArmor: appArmorEnabled(), seLinux: seLinuxEnabled() };
}

const allContainers = (spec: PodSpec) => [...(spec.initContainers ?? []), ...spec.containers];

/**
 * A container's AppArmor profile and SELinux label as its bundle carries them (`process.apparmorProfile`,
 * `process.selinuxLabel`): only where the host has the module. Throws when the host has it and the spec cannot be
 * applied (a Localhost profile not loaded, a partial SELinux label): called before anything of the pod is made.
 */
export function containerLsm(spec: PodSpec, c: ContainerSpec, host: HostLsm): { apparmorProfile?: string; selinuxLabel?: string } {
  const out: { apparmorProfile?: string; selinuxLabel?: string } = {};
  const aa = c.appArmorProfile ?? spec.appArmorProfile;
  if (host.appArmor && aa?.type === 'Localhost') {
    const name = aa.localhostProfile!;
    if (!appArmorProfileLoaded(name))
      throw new NspodError('PROFILE_INVALID', `container ${c.name}: AppArmor profile ${name} is not loaded on this host`, {
        hint: 'load it with apparmor_parser, or name a loaded one (/sys/kernel/security/apparmor/profiles)',
      });
    out.apparmorProfile = name;
  }
  const se = c.seLinuxOptions ?? spec.seLinuxOptions;
  if (host.seLinux && se) {
    const { user, role, type, level } = se;
    if (!user || !role || !type || !level)
      throw new NspodError(
        'INVALID_SPEC',
        `container ${c.name}: seLinuxOptions must give user, role, type and level on this SELinux host`,
        {
          hint: "nspod does not fill a label in from the policy's defaults as container runtimes do",
        },
      );
    out.selinuxLabel = `${user}:${role}:${type}:${level}`;
  }
  return out;
}

/** Every container's AppArmor and SELinux settings can be applied (containerLsm), before anything of the pod is made. */
export function checkLsm(spec: PodSpec, host: HostLsm): void {
  for (const c of allContainers(spec)) containerLsm(spec, c, host);
}

/** One line for each AppArmor or SELinux setting this host does not apply, so that none changes nothing silently. */
export function lsmWarnings(spec: PodSpec, host: HostLsm): string[] {
  const out: string[] = [];
  const aaAt = (c: ContainerSpec) => (c.appArmorProfile ? `container ${c.name}: appArmorProfile` : 'appArmorProfile');
  const seen = new Set<string>();
  for (const c of allContainers(spec)) {
    const aa = c.appArmorProfile ?? spec.appArmorProfile;
    const at = aaAt(c);
    if (aa && aa.type !== 'Unconfined' && !seen.has(at)) {
      seen.add(at);
      if (!host.appArmor) out.push(`${at} ${aa.type}: this host has AppArmor disabled, so it changes nothing here`);
      else if (aa.type === 'RuntimeDefault')
        out.push(
          `${at} RuntimeDefault: nspod loads no AppArmor profile of its own; seccomp, capabilities and masked paths still confine it`,
        );
    }
    const se = c.seLinuxOptions ?? spec.seLinuxOptions;
    const seAt = c.seLinuxOptions ? `container ${c.name}: seLinuxOptions` : 'seLinuxOptions';
    if (se && !host.seLinux && !seen.has(seAt)) {
      seen.add(seAt);
      out.push(`${seAt}: this host has SELinux disabled, so they change nothing here`);
    }
  }
  return out;
}
