import type { ConfigSchema, StateSchema } from './runtime-spec.generated.js';

/** An OCI runtime config.json, typed from the runtime-spec schemas. */
export type Spec = ConfigSchema;
export type Process = NonNullable<Spec['process']>;
export type Mount = NonNullable<Spec['mounts']>[number];
export type LinuxNamespace = NonNullable<NonNullable<Spec['linux']>['namespaces']>[number];
export type LinuxResources = NonNullable<NonNullable<Spec['linux']>['resources']>;
export type Rlimit = NonNullable<Process['rlimits']>[number];
/** The runtime's `state` output. */
export type RuntimeState = StateSchema;

export const OCI_VERSION = '1.0.2';

/** Namespaces a sibling can join by path (`/proc/<pausePid>/ns/<file>`). */
export type JoinableNamespace = 'network' | 'ipc' | 'uts' | 'pid';

/** `linux.namespaces[].type` → the file name under /proc/<pid>/ns. */
export const NAMESPACE_FILES = {
  pid: 'pid',
  network: 'net',
  ipc: 'ipc',
  uts: 'uts',
  mount: 'mnt',
  cgroup: 'cgroup',
  user: 'user',
} as const;

/** What a sibling needs to know about its pause: the paths of the namespaces to join. */
export interface PauseNamespaces {
  pid: number;
  paths: Record<JoinableNamespace, string>;
}

export function pauseNamespacePaths(pid: number): PauseNamespaces {
  const at = (type: JoinableNamespace) => `/proc/${pid}/ns/${NAMESPACE_FILES[type]}`;
  return { pid, paths: { network: at('network'), ipc: at('ipc'), uts: at('uts'), pid: at('pid') } };
}
