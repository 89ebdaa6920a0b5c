/** Security contexts (pod and container) → a container's user, capabilities, privileged, read-only root. */
import type * as k8s from 'kubernetes-types/core/v1.js';
import type { AppArmorProfile, ContainerSpec, PodSpec, SeccompProfile, SELinuxOptions, Sysctl } from '../spec/spec.js';
import type { Field } from './field.js';
import { copier, ignored, onlyDefault, read, readList, readObject, UNSUPPORTED, type Draft, type Table, type Valued } from './table.js';

/** runAs* as written at one level; a container's own win over the pod's. */
export interface SecurityDraft {
  runAsUser?: Valued<number>;
  runAsGroup?: Valued<number>;
  runAsNonRoot?: Valued<boolean>;
}

interface HasSecurity {
  security: SecurityDraft;
}

const RUN_AS = {
  runAsUser: (f: Field, d: HasSecurity) => {
    d.security.runAsUser = { value: f.integer(), field: f };
  },
  runAsGroup: (f: Field, d: HasSecurity) => {
    d.security.runAsGroup = { value: f.integer(), field: f };
  },
  runAsNonRoot: (f: Field, d: HasSecurity) => {
    d.security.runAsNonRoot = { value: f.boolean(), field: f };
  },
};

const seccomp = copier<SeccompProfile>();
const SECCOMP_PROFILE: Table<k8s.SeccompProfile, Draft<SeccompProfile>> = {
  type: seccomp('type', (f) => f.string() as SeccompProfile['type']),
  localhostProfile: seccomp('localhostProfile', read.string),
};

const readSeccomp = (f: Field): SeccompProfile => readObject(f, SECCOMP_PROFILE, ['type']);

const appArmor = copier<AppArmorProfile>();
const APPARMOR_PROFILE: Table<k8s.AppArmorProfile, Draft<AppArmorProfile>> = {
  type: appArmor('type', (f) => f.string() as AppArmorProfile['type']),
  localhostProfile: appArmor('localhostProfile', read.string),
};
const readAppArmor = (f: Field): AppArmorProfile => readObject(f, APPARMOR_PROFILE, ['type']);

const seLinux = copier<SELinuxOptions>();
const SELINUX_OPTIONS: Table<k8s.SELinuxOptions, Draft<SELinuxOptions>> = {
  user: seLinux('user', read.string),
  role: seLinux('role', read.string),
  type: seLinux('type', read.string),
  level: seLinux('level', read.string),
};
const readSeLinux = (f: Field): SELinuxOptions => readObject(f, SELINUX_OPTIONS);

const sysctl = copier<Sysctl>();
const SYSCTL: Table<k8s.Sysctl, Draft<Sysctl>> = {
  name: sysctl('name', read.string),
  value: sysctl('value', read.string),
};

/** A pod-level field of the PodSpec's own: its manifest field is the origin of its namesake. */
function pod<K extends keyof PodSpec>(key: K, reader: (f: Field) => PodSpec[K]) {
  return (f: Field, d: Draft<PodSpec>) => {
    d.spec[key] = reader(f);
    f.origin(key).mirror(key);
  };
}

export const POD_SECURITY: Table<k8s.PodSecurityContext, HasSecurity & Draft<PodSpec>> = {
  ...RUN_AS,
  appArmorProfile: pod('appArmorProfile', readAppArmor),
  fsGroup: pod('fsGroup', read.integer),
  fsGroupChangePolicy: pod('fsGroupChangePolicy', (f) => f.string() as PodSpec['fsGroupChangePolicy']),
  seLinuxOptions: pod('seLinuxOptions', readSeLinux),
  seccompProfile: (f, d) => {
    d.spec.seccompProfile = readSeccomp(f);
    f.origin('seccompProfile').mirror('seccompProfile');
  },
  supplementalGroups: pod('supplementalGroups', (f) => f.items().map((i) => i.integer())),
  supplementalGroupsPolicy: pod('supplementalGroupsPolicy', (f) => f.string() as PodSpec['supplementalGroupsPolicy']),
  seLinuxChangePolicy: UNSUPPORTED,
  sysctls: (f, d) => {
    d.spec.sysctls = readList(f, SYSCTL, ['name', 'value']).map((s) => s.value);
    f.origin('sysctls').mirror('sysctls');
  },
  windowsOptions: ignored('Windows only'),
};

type Capabilities = NonNullable<ContainerSpec['capabilities']>;
const capability = copier<Capabilities>();

const CAPABILITIES: Table<k8s.Capabilities, Draft<Capabilities>> = {
  add: capability('add', read.strings),
  drop: capability('drop', read.strings),
};

const container = copier<ContainerSpec>();

/** Its fields land on the container itself: the caller mirrors the field onto the container's PodSpec path. */
export const CONTAINER_SECURITY: Table<k8s.SecurityContext, Draft<ContainerSpec> & HasSecurity> = {
  ...RUN_AS,
  readOnlyRootFilesystem: container('readOnlyRootFilesystem', read.boolean),
  privileged: container('privileged', read.boolean),
  capabilities: (f, d) => {
    d.spec.capabilities = readObject(f, CAPABILITIES);
  },
  allowPrivilegeEscalation: container('allowPrivilegeEscalation', read.boolean),
  procMount: onlyDefault('Default'),
  appArmorProfile: container('appArmorProfile', readAppArmor),
  seLinuxOptions: container('seLinuxOptions', readSeLinux),
  seccompProfile: container('seccompProfile', readSeccomp),
  windowsOptions: ignored('Windows only'),
};

/**
 * The user a container runs as, from its own runAs* or the pod's (what neither gives comes from the image when the pod
 * is made), and its runAsNonRoot; `at` is the container's PodSpec path.
 */
export function containerUser(own: SecurityDraft, pod: SecurityDraft, at: string): Pick<ContainerSpec, 'user' | 'runAsNonRoot'> {
  const uid = own.runAsUser ?? pod.runAsUser;
  const gid = own.runAsGroup ?? pod.runAsGroup;
  const nonRoot = own.runAsNonRoot ?? pod.runAsNonRoot;
  if (nonRoot?.value && uid?.value === 0) nonRoot.field.fail(`contradicts runAsUser: 0 (line ${uid.field.line})`);
  uid?.field.origin(`${at}.user.uid`);
  gid?.field.origin(`${at}.user.gid`);
  nonRoot?.field.origin(`${at}.runAsNonRoot`);
  const out: Pick<ContainerSpec, 'user' | 'runAsNonRoot'> = {};
  if (uid || gid) out.user = { ...(uid ? { uid: uid.value } : {}), ...(gid ? { gid: gid.value } : {}) };
  if (nonRoot) out.runAsNonRoot = nonRoot.value;
  return out;
}
