import { NspodError } from '../errors.js';
import { volumePathProblem, type KeyToPath } from './config.js';
import { CPU_DIVISORS, fieldPathProblem, MEMORY_DIVISORS, RESOURCE_FIELDS, type FieldRef, type ResourceFieldRef } from './downward.js';
import { STOP_SIGNALS } from './signals.js';
import {
  configKeyProblem,
  dnsLabelProblem,
  dnsSubdomainProblem,
  fieldPath,
  isCapability,
  isHttpHeaderName,
  isIPv4,
  labelValueProblem,
  metadataKeyProblem,
  portNameProblem,
} from './names.js';
import { pidsLimitProblem, PIDS_LIMIT_ANNOTATION } from './pids.js';
import {
  appArmorProblems,
  groupProblems,
  privilegeEscalationProblems,
  seccompProblems,
  sysctlProblems,
  type AppArmorProfile,
  type SeccompProfile,
  type SELinuxOptions,
  type Sysctl,
} from './security.js';

/** What a pod is made of: the typed input of `Pod.create`, and what a manifest parses into. */
export interface PodSpec {
  /** A DNS-1123 label: lowercase letters, digits and '-', at most 63 characters. */
  name: string;
  /** The pod's hostname (its UTS namespace); default: the pod's name. */
  hostname?: string;
  /** Apps join the pause's pid namespace (Kubernetes `shareProcessNamespace: true`). */
  shareProcessNamespace?: boolean;
  containers: ContainerSpec[];
  /**
   * Run to completion, in order, before the app containers start; one with `restartPolicy: 'Always'` is a sidecar
   * (Kubernetes' native sidecar): it starts in its place in that order and keeps running beside the apps.
   */
  initContainers?: ContainerSpec[];
  restartPolicy?: RestartPolicy;
  /** Seconds between TERM and KILL when the pod stops. Default 30 (Kubernetes' default). */
  terminationGracePeriodSeconds?: number;
  volumes?: VolumeSpec[];
  /** Share the host's network namespace (Kubernetes `hostNetwork: true`). */
  hostNetwork?: boolean;
  /**
   * The pod's network when it has one of its own: `default` (the built-in CNI
   * network `nspod`), `none` (loopback only), or the name of a CNI conflist.
   */
  network?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** What the downward API's `spec.serviceAccountName` says; default `default`. There are no service accounts here. */
  serviceAccountName?: string;
  /**
   * A Job's pod (Kubernetes `backoffLimit`): a failed app container is started again up to this many times, whatever the
   * restartPolicy (Never or OnFailure); then the pod has failed. A container that succeeds is not started again.
   */
  backoffLimit?: number;
  /** Seconds the pod may be active, counted from its creation; then it is stopped with reason DeadlineExceeded (Kubernetes' field). */
  activeDeadlineSeconds?: number;
  /**
   * A group every container is in, and that owns the pod's emptyDir volumes (setgid, so new files are its too): Kubernetes
   * `securityContext.fsGroup`.
   */
  fsGroup?: number;
  /** Accepted: the volumes whose ownership fsGroup changes here (emptyDirs) are new each time, so either policy changes the same. */
  fsGroupChangePolicy?: 'Always' | 'OnRootMismatch';
  /** Groups every container's first process is in, besides its primary group and fsGroup. */
  supplementalGroups?: number[];
  /** Merge (default): add the groups the image's /etc/group lists its user in; Strict: only the groups the pod names. */
  supplementalGroupsPolicy?: 'Merge' | 'Strict';
  /**
   * Kernel parameters of the pod's namespaces (Kubernetes `securityContext.sysctls`), set by the pause so that every
   * container sees them: namespaced ones only (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*).
   */
  sysctls?: Sysctl[];
  /** The AppArmor profile of every container that names none; applied where the host has AppArmor, else a warning. */
  appArmorProfile?: AppArmorProfile;
  /** The SELinux label parts of every container that names none; applied where the host has SELinux, else a warning. */
  seLinuxOptions?: SELinuxOptions;
  /** The seccomp profile of every container that names none (Kubernetes `securityContext.seccompProfile`); default RuntimeDefault. */
  seccompProfile?: SeccompProfile;
}

export type { FieldRef, ResourceFieldRef } from './downward.js';
export type { AppArmorProfile, SeccompProfile, SeccompType, SELinuxOptions, Sysctl } from './security.js';

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface ContainerSpec {
  /** A DNS-1123 label, unique in the pod. */
  name: string;
  /** `busybox` (the built-in toolbox) or a rootfs directory. */
  image: string;
  /** The entrypoint (Kubernetes `command`). */
  command?: string[];
  /** Arguments after the entrypoint (Kubernetes `args`). */
  args?: string[];
  /**
   * The environment, in order (Kubernetes' `env` list: a later name replaces an earlier one): a literal value, whose
   * `$(VAR)` references to variables before it are expanded, or a source (ConfigMap or Secret key, downward API field).
   */
  env?: Record<string, string | EnvVarSource>;
  /** Every key of a ConfigMap or Secret as a variable, before `env` (which wins); keys that are no variable names are skipped. */
  envFrom?: EnvFromSource[];
  workingDir?: string;
  /**
   * The user it runs as (Kubernetes `runAsUser`/`runAsGroup`); what is not given comes from the image's User, as the
   * kubelet and containerd do: a uid without a gid takes the image's /etc/passwd gid of that uid, else 0.
   */
  user?: { uid?: number; gid?: number };
  /** Refuse to start it when it would run as uid 0, once the image's User is applied (Kubernetes `runAsNonRoot`). */
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  privileged?: boolean;
  /** false: the process and its children cannot gain privileges (no_new_privs: setuid bits and file capabilities do nothing). */
  allowPrivilegeEscalation?: boolean;
  /** Wins over the pod's; a privileged container runs unconfined (as in Docker and containerd). */
  seccompProfile?: SeccompProfile;
  /** Wins over the pod's. */
  appArmorProfile?: AppArmorProfile;
  /** Wins over the pod's. */
  seLinuxOptions?: SELinuxOptions;
  resources?: ResourceLimits;
  ports?: PortSpec[];
  volumeMounts?: VolumeMount[];
  /** Gates the other probes; the container is killed after failureThreshold failures. */
  startupProbe?: Probe;
  /** Sets the container's Ready. */
  readinessProbe?: Probe;
  /** The container is killed after failureThreshold failures. */
  livenessProbe?: Probe;
  /**
   * Kubernetes' container restartPolicy. On an init container `Always` makes it a sidecar (and `Never` is what an init
   * container does anyway); on an app container it replaces the pod's restartPolicy for that container (Kubernetes 1.34+).
   */
  restartPolicy?: RestartPolicy;
  /** Checked in order on each exit of an app container: the first that matches restarts it; else its restartPolicy decides. */
  restartPolicyRules?: ContainerRestartRule[];
  /** Hooks run after the start and before the stop, and the signal that stops it (Kubernetes `lifecycle`). */
  lifecycle?: Lifecycle;
  /** Where the container writes its termination message (a fresh file per run); default /dev/termination-log. */
  terminationMessagePath?: string;
  /** FallbackToLogsOnError: a failed run that wrote no message gets its log's tail as one; default File. */
  terminationMessagePolicy?: 'File' | 'FallbackToLogsOnError';
}

/** Kubernetes' ContainerRestartRule: act on these exit codes (In) or on every other one (NotIn). */
export interface ContainerRestartRule {
  /** Restart: this container; RestartAllContainers (Kubernetes 1.35): the whole pod in place, its init containers first. */
  action: 'Restart' | 'RestartAllContainers';
  exitCodes: { operator: 'In' | 'NotIn'; values?: number[] };
}

/** Kubernetes' `lifecycle` of a container. */
export interface Lifecycle {
  /** Runs right after the container starts; it does not count as started until it returns; a failure kills it. */
  postStart?: LifecycleHandler;
  /** Runs before the stop signal, within the pod's grace period (counted from the hook's start). */
  preStop?: LifecycleHandler;
  /** The signal that stops it (a name of STOP_SIGNALS); default: the image's StopSignal, else SIGTERM. */
  stopSignal?: string;
}

/** A hook's action: exactly one of the four (Kubernetes `LifecycleHandler`). */
export interface LifecycleHandler {
  /** Runs in the container; exit 0 is success. */
  exec?: { command: string[] };
  /** GET http://127.0.0.1:port/path from inside the pod's network namespace; 200-399 is success. */
  httpGet?: { path?: string; port: number | string };
  /** Deprecated in Kubernetes and kept for old manifests: the hook fails when it runs, as the kubelet's does. */
  tcpSocket?: { port: number | string };
  /** Waits this many seconds (0 allowed), at most the pod's grace period. */
  sleep?: { seconds: number };
}

export const LIFECYCLE_HOOKS = ['postStart', 'preStop'] as const;
const HOOK_HANDLERS: readonly string[] = ['exec', 'httpGet', 'tcpSocket', 'sleep'];

/** A key of a ConfigMap or Secret. A missing object or key keeps the pod from starting, unless optional. */
export interface KeySelector {
  name: string;
  key: string;
  optional?: boolean;
}

/** Where a variable's value comes from: exactly one source (Kubernetes `EnvVarSource`). */
export interface EnvVarSource {
  configMapKeyRef?: KeySelector;
  secretKeyRef?: KeySelector;
  fieldRef?: FieldRef;
  resourceFieldRef?: ResourceFieldRef;
}

/** Every key of a ConfigMap or Secret as a variable (Kubernetes `EnvFromSource`): exactly one of the two. */
export interface EnvFromSource {
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
  /** Put before every key. */
  prefix?: string;
}

/** A Kubernetes probe: exactly one handler, and its timing (Kubernetes' defaults when absent). */
export interface Probe {
  /** Runs in the container; exit 0 is success. */
  exec?: { command: string[] };
  /** GET http://127.0.0.1:port/path from inside the pod's network namespace; 200-399 is success. */
  httpGet?: { path?: string; port: number | string; httpHeaders?: { name: string; value: string }[] };
  /** A TCP connect to 127.0.0.1:port from inside the pod's network namespace. */
  tcpSocket?: { port: number | string };
  /** Seconds after the container starts before the first probe; default 0. */
  initialDelaySeconds?: number;
  /** Default 10. */
  periodSeconds?: number;
  /** Default 1. */
  timeoutSeconds?: number;
  /** Consecutive successes that count as success; default 1 (and must be 1 for liveness and startup). */
  successThreshold?: number;
  /** Consecutive failures that count as failure; default 3. */
  failureThreshold?: number;
}

export const PROBE_KINDS = ['startupProbe', 'readinessProbe', 'livenessProbe'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

/** Kubernetes' probe defaults. */
export const PROBE_DEFAULTS = {
  initialDelaySeconds: 0,
  periodSeconds: 10,
  timeoutSeconds: 1,
  successThreshold: 1,
  failureThreshold: 3,
} as const;

/** The number a probe's port names: a number as is, a name through the container's ports; undefined when unknown. */
export function resolveProbePort(c: Pick<ContainerSpec, 'ports'>, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

export interface ResourceLimits {
  /** Memory limit in bytes. */
  memoryBytes?: number;
  /** CPU limit in cores (0.5 = half a core), enforced as a CFS quota. */
  cpu?: number;
  /** Relative CPU weight (cgroup v1 shares; 1024 = one core's request). */
  cpuShares?: number;
  /** Maximum number of processes. */
  pids?: number;
  /** `requests.cpu` in cores, as written: what the downward API reports (cpuShares is what is enforced). */
  cpuRequest?: number;
  /** `requests.memory` in bytes: only the downward API reads it. */
  memoryRequestBytes?: number;
}

export interface PortSpec {
  containerPort: number;
  /** The host port it is published on; 0: any free one, chosen when the pod is made (`pod.hostPort(containerPort)` tells it). */
  hostPort?: number;
  protocol?: 'TCP' | 'UDP';
  hostIP?: string;
  name?: string;
}

export interface VolumeSpec {
  name: string;
  /** `medium: Memory` is a tmpfs (of `sizeLimitBytes`, else of the pod's memory limits or the host's memory). */
  emptyDir?: Record<string, never> | { medium?: string; sizeLimitBytes?: number };
  hostPath?: { path: string; type?: string };
  /** A ConfigMap's keys as files (Kubernetes' layout: each a symlink through `..data` to a timestamped dir). */
  configMap?: { name: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  /** A Secret's keys as files, on a tmpfs. */
  secret?: { secretName: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  /** Facts about the pod as files. */
  downwardAPI?: { items?: DownwardAPIFile[]; defaultMode?: number };
  /** Several sources in one directory, on a tmpfs. */
  projected?: { sources: ProjectedSource[]; defaultMode?: number };
  /** An image's rootfs, read-only (Kubernetes `image` volumes); `pullPolicy` as for containers. */
  image?: { reference: string; pullPolicy?: string };
}

/** A file of a downwardAPI volume: exactly one of fieldRef (metadata only) and resourceFieldRef (which names its container). */
export interface DownwardAPIFile {
  path: string;
  fieldRef?: FieldRef;
  resourceFieldRef?: ResourceFieldRef;
  mode?: number;
}

/** One source of a projected volume: exactly one of the three. */
export interface ProjectedSource {
  configMap?: { name: string; items?: KeyToPath[]; optional?: boolean };
  secret?: { name: string; items?: KeyToPath[]; optional?: boolean };
  downwardAPI?: { items?: DownwardAPIFile[] };
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  /** A path inside the volume to mount instead of its root (made as a directory when missing). */
  subPath?: string;
  /** subPath with `$(VAR)` references to the container's environment. */
  subPathExpr?: string;
  /**
   * A readOnly mount's submounts (Kubernetes 1.30): `Disabled` leaves them writable, `Enabled` makes them read-only
   * too or fails the pod where the host cannot, `IfPossible` where it can. Unset: IfPossible, with a warning where it cannot.
   */
  recursiveReadOnly?: 'Disabled' | 'IfPossible' | 'Enabled';
}

// ---------------------------------------------------------------- rules

/** A rule a PodSpec breaks: the field (`containers[0].ports[1].hostPort`), why, and what to do when that is not plain. */
export interface SpecProblem {
  field: string;
  why: string;
  hint?: string;
}

type Report = (field: string, why: string, hint?: string) => void;

export const RESTART_POLICIES: readonly RestartPolicy[] = ['Always', 'OnFailure', 'Never'];
/** Kubernetes' hostPath types ("" checks that the path exists): checked, or made, when the pod is (src/pod/). */
export const HOST_PATH_TYPES = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'];
/** The smallest value of each probe timing field. */
export const PROBE_MINIMUMS = {
  initialDelaySeconds: 0,
  periodSeconds: 1,
  timeoutSeconds: 1,
  successThreshold: 1,
  failureThreshold: 1,
} as const;
const PROBE_HANDLERS: readonly string[] = ['exec', 'httpGet', 'tcpSocket'];
const VOLUME_SOURCES: readonly string[] = ['emptyDir', 'hostPath', 'configMap', 'secret', 'downwardAPI', 'projected', 'image'];
const PULL_POLICIES: readonly string[] = ['Always', 'IfNotPresent', 'Never'];
/** uids and gids are int32 in Kubernetes. */
const MAX_ID = 2 ** 31 - 1;

/** Why `n` is outside min..max (`must be between 1 and 65535 (it is 70000)`), or undefined; a manifest's integers say it so too. */
export function rangeProblem(n: number, min: number, max?: number): string | undefined {
  if (n >= min && (max === undefined || n <= max)) return undefined;
  return max === undefined ? `must be >= ${min} (it is ${n})` : `must be between ${min} and ${max} (it is ${n})`;
}

function portNumberProblem(n: unknown): string | undefined {
  return typeof n === 'number' && Number.isInteger(n) ? rangeProblem(n, 1, 65535) : 'must be a port number 1-65535';
}

const listOf = <T>(v: T[] | undefined): T[] => (Array.isArray(v) ? v : []);

/** Every rule `spec` breaks, field by field; empty when it is valid. The one statement of each PodSpec rule. */
/** Kubernetes' TotalAnnotationSizeLimitB: keys and values of a pod's annotations together. */
export const ANNOTATIONS_MAX = 256 * 1024;
/** execve's bound on arguments and environment together with the default 8 MiB stack (a quarter of it); Linux's ARG_MAX. */
export const ARG_MAX = 2 * 1024 * 1024;
/** Linux's MAX_ARG_STRLEN: one argument or environment string (32 pages). */
export const ARG_STRLEN_MAX = 128 * 1024;

export function podSpecProblems(spec: PodSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const report: Report = (field, why, hint) => {
    problems.push(hint === undefined ? { field, why } : { field, why, hint });
  };
  if (typeof spec !== 'object' || spec === null) {
    report('pod', 'must be an object');
    return problems;
  }
  podFieldProblems(spec, report);
  const allContainers = new Set([...listOf(spec.initContainers), ...listOf(spec.containers)].map((c) => c?.name));
  const grace = spec.terminationGracePeriodSeconds;
  const pod = {
    graceSeconds: typeof grace === 'number' && grace >= 0 ? grace : 30,
    volumeNames: volumeProblems(listOf(spec.volumes), allContainers, report),
    containerNames: new Set<string>(),
    allContainers,
  };
  for (const list of ['initContainers', 'containers'] as const) {
    for (const [i, c] of listOf(spec[list]).entries())
      containerProblems(c, `${list}[${i}]`, { ...pod, init: list === 'initContainers' }, report);
  }
  return problems;
}

/** Throws INVALID_SPEC naming the field of the first problem (`problems` lists them all) when `spec` breaks a rule. */
export function validatePodSpec(spec: PodSpec): void {
  const problems = podSpecProblems(spec);
  const [first] = problems;
  if (first === undefined) return;
  const lines = problems.map((p) => `${p.field}: ${p.why}`);
  throw new NspodError('INVALID_SPEC', lines[0]!, { ...(first.hint === undefined ? {} : { hint: first.hint }), problems: lines });
}

function podFieldProblems(spec: PodSpec, report: Report): void {
  const nameProblem = dnsLabelProblem(spec.name);
  if (nameProblem) report('name', `${JSON.stringify(spec.name)} ${nameProblem}`, 'a pod name here is a DNS-1123 label');
  if (spec.hostname !== undefined) {
    const p = dnsLabelProblem(spec.hostname);
    if (p) report('hostname', `${JSON.stringify(spec.hostname)} ${p}`);
  }
  for (const field of ['labels', 'annotations'] as const) {
    for (const [key, value] of Object.entries(spec[field] ?? {})) {
      const keyProblem = metadataKeyProblem(key);
      if (keyProblem) report(fieldPath(field, key), `invalid ${field === 'labels' ? 'label' : 'annotation'} key: ${keyProblem}`);
      const valueProblem = field === 'labels' ? labelValueProblem(value) : typeof value === 'string' ? undefined : 'must be a string';
      if (valueProblem) report(fieldPath(field, key), valueProblem);
    }
  }
  const annotationBytes = Object.entries(spec.annotations ?? {}).reduce(
    (n, [k, v]) => n + Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : 0),
    0,
  );
  if (annotationBytes > ANNOTATIONS_MAX)
    report(
      'annotations',
      `${annotationBytes} bytes in all: more than Kubernetes' limit of ${ANNOTATIONS_MAX} (256 KiB) for a pod's annotations`,
    );
  const pids = spec.annotations?.[PIDS_LIMIT_ANNOTATION];
  if (typeof pids === 'string' && pidsLimitProblem(pids)) report(fieldPath('annotations', PIDS_LIMIT_ANNOTATION), pidsLimitProblem(pids)!);
  const network = spec.network;
  if (network !== undefined && (typeof network !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(network))) {
    report('network', `${JSON.stringify(network)} must be default, none or the name of a CNI network`);
  } else if (spec.hostNetwork && network !== undefined && network !== 'default') {
    report('network', `a hostNetwork pod uses the host's network, not ${JSON.stringify(network)}`);
  }
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
    report('containers', 'a pod needs at least one container', 'list them under spec.containers');
  }
  if (spec.restartPolicy !== undefined && !RESTART_POLICIES.includes(spec.restartPolicy)) {
    report('restartPolicy', `${JSON.stringify(spec.restartPolicy)} must be Always, OnFailure or Never`);
  }
  if (spec.serviceAccountName !== undefined && typeof spec.serviceAccountName !== 'string')
    report('serviceAccountName', 'must be a string');
  const backoff = spec.backoffLimit;
  if (backoff !== undefined) {
    const p = Number.isInteger(backoff) ? rangeProblem(backoff, 0) : 'must be an integer >= 0';
    if (p) report('backoffLimit', p);
    if (spec.restartPolicy === undefined || spec.restartPolicy === 'Always')
      report('restartPolicy', "a Job's pod needs restartPolicy Never or OnFailure", 'set spec.template.spec.restartPolicy');
  }
  seccompProblems(spec.seccompProfile, 'seccompProfile', report);
  appArmorProblems(spec.appArmorProfile, 'appArmorProfile', report);
  const deadline = spec.activeDeadlineSeconds;
  if (deadline !== undefined) {
    const p = Number.isInteger(deadline) ? rangeProblem(deadline, 1) : 'must be an integer >= 1';
    if (p) report('activeDeadlineSeconds', p);
  }
  groupProblems(spec, report);
  sysctlProblems(spec, report);
  const grace = spec.terminationGracePeriodSeconds;
  if (grace !== undefined) {
    const p = typeof grace === 'number' && Number.isFinite(grace) ? rangeProblem(grace, 0) : 'must be a number >= 0';
    if (p) report('terminationGracePeriodSeconds', p);
  }
}

/** The volumes' problems; returns their names, for the mounts. */
function volumeProblems(volumes: VolumeSpec[], containers: Set<string>, report: Report): Set<string> {
  const names = new Set<string>();
  for (const [i, v] of volumes.entries()) {
    const at = `volumes[${i}]`;
    if (typeof v !== 'object' || v === null) {
      report(at, 'must be an object');
      continue;
    }
    const p = dnsLabelProblem(v.name);
    if (p) report(`${at}.name`, `${JSON.stringify(v.name)} ${p}`);
    else if (names.has(v.name)) report(`${at}.name`, `duplicate volume name ${JSON.stringify(v.name)}`);
    names.add(v.name);
    const sources = Object.keys(v).filter((k) => VOLUME_SOURCES.includes(k) && v[k as keyof VolumeSpec] !== undefined);
    if (sources.length === 0) report(at, `needs exactly one of ${VOLUME_SOURCES.join(', ')}`);
    if (sources.length > 1) report(`${at}.${sources[1]}`, `a volume has one source, and this one already has ${sources[0]}`);
    if (v.emptyDir) emptyDirProblems(v.emptyDir, `${at}.emptyDir`, report);
    const path = v.hostPath?.path;
    if (v.hostPath && (typeof path !== 'string' || !path.startsWith('/')))
      report(`${at}.hostPath.path`, `${JSON.stringify(path)} must be an absolute path`);
    if (v.configMap) {
      objectNameProblems(v.configMap.name, `${at}.configMap.name`, report);
      keyItemProblems(v.configMap.items, `${at}.configMap`, report);
      modeProblems(v.configMap.defaultMode, `${at}.configMap.defaultMode`, report);
    }
    if (v.secret) {
      objectNameProblems(v.secret.secretName, `${at}.secret.secretName`, report);
      keyItemProblems(v.secret.items, `${at}.secret`, report);
      modeProblems(v.secret.defaultMode, `${at}.secret.defaultMode`, report);
    }
    if (v.downwardAPI) {
      downwardItemProblems(v.downwardAPI.items, `${at}.downwardAPI`, containers, report);
      modeProblems(v.downwardAPI.defaultMode, `${at}.downwardAPI.defaultMode`, report);
    }
    if (v.projected) projectedProblems(v.projected, `${at}.projected`, containers, report);
    if (v.image) {
      if (typeof v.image.reference !== 'string' || v.image.reference === '') report(`${at}.image.reference`, 'is required');
      const policy = v.image.pullPolicy;
      if (policy !== undefined && !PULL_POLICIES.includes(policy))
        report(`${at}.image.pullPolicy`, `${JSON.stringify(policy)} must be ${PULL_POLICIES.join(', ')}`);
    }
  }
  return names;
}

function emptyDirProblems(e: { medium?: unknown; sizeLimitBytes?: unknown }, at: string, report: Report): void {
  const { medium, sizeLimitBytes: size } = e;
  if (typeof medium === 'string' && medium.startsWith('HugePages'))
    report(`${at}.medium`, `${JSON.stringify(medium)} is not supported: nspod does not manage huge pages`, 'use "" or Memory');
  else if (medium !== undefined && medium !== '' && medium !== 'Memory')
    report(`${at}.medium`, `${JSON.stringify(medium)} must be "" or Memory`);
  if (size === undefined) return;
  if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0) report(`${at}.sizeLimit`, 'must be a positive number of bytes');
  else if (medium !== 'Memory')
    report(
      `${at}.sizeLimit`,
      'is not supported on disk: the kubelet enforces it by evicting the pod, and no resident process here watches the disk',
      'give the volume medium: Memory (a tmpfs of that size), or drop sizeLimit',
    );
}

function objectNameProblems(name: unknown, at: string, report: Report): void {
  const p = dnsSubdomainProblem(name);
  if (p) report(at, `${JSON.stringify(name)} ${p}`);
}

function modeProblems(mode: unknown, at: string, report: Report): void {
  if (mode === undefined) return;
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o777)
    report(at, `must be a file mode between 0 and 0777 (511), not ${JSON.stringify(mode)}`);
}

/** `items` of a configMap or secret source: keys, paths (none twice) and modes. */
function keyItemProblems(items: KeyToPath[] | undefined, at: string, report: Report, paths = new Set<string>()): void {
  for (const [j, item] of listOf(items).entries()) {
    const itemAt = `${at}.items[${j}]`;
    const keyProblem = configKeyProblem(item?.key);
    if (keyProblem) report(`${itemAt}.key`, keyProblem);
    filePathProblems(item?.path, `${itemAt}.path`, paths, report);
    modeProblems(item?.mode, `${itemAt}.mode`, report);
  }
}

function filePathProblems(path: unknown, at: string, paths: Set<string>, report: Report): void {
  const problem = volumePathProblem(path);
  if (problem) return report(at, problem);
  if (paths.has(path as string)) report(at, `duplicate path ${JSON.stringify(path)}`);
  paths.add(path as string);
}

function downwardItemProblems(
  items: DownwardAPIFile[] | undefined,
  at: string,
  containers: Set<string>,
  report: Report,
  paths = new Set<string>(),
): void {
  for (const [j, item] of listOf(items).entries()) {
    const itemAt = `${at}.items[${j}]`;
    filePathProblems(item?.path, `${itemAt}.path`, paths, report);
    modeProblems(item?.mode, `${itemAt}.mode`, report);
    if ((item?.fieldRef === undefined) === (item?.resourceFieldRef === undefined)) {
      report(itemAt, 'needs exactly one of fieldRef and resourceFieldRef');
      continue;
    }
    if (item.fieldRef) fieldRefProblems(item.fieldRef, `${itemAt}.fieldRef`, 'volume', report);
    if (item.resourceFieldRef) {
      const name = item.resourceFieldRef.containerName;
      if (name === undefined) report(`${itemAt}.resourceFieldRef.containerName`, 'is required in a volume');
      resourceFieldRefProblems(item.resourceFieldRef, `${itemAt}.resourceFieldRef`, containers, report);
    }
  }
}

function projectedProblems(p: NonNullable<VolumeSpec['projected']>, at: string, containers: Set<string>, report: Report): void {
  modeProblems(p.defaultMode, `${at}.defaultMode`, report);
  // One directory: no two sources may write one path.
  const paths = new Set<string>();
  for (const [j, source] of listOf(p.sources).entries()) {
    const sourceAt = `${at}.sources[${j}]`;
    const kinds = Object.keys(source ?? {}).filter((k) => source[k as keyof ProjectedSource] !== undefined);
    if (kinds.length !== 1) {
      report(sourceAt, 'needs exactly one of configMap, secret and downwardAPI');
      continue;
    }
    if (source.configMap) {
      objectNameProblems(source.configMap.name, `${sourceAt}.configMap.name`, report);
      keyItemProblems(source.configMap.items, `${sourceAt}.configMap`, report, paths);
    }
    if (source.secret) {
      objectNameProblems(source.secret.name, `${sourceAt}.secret.name`, report);
      keyItemProblems(source.secret.items, `${sourceAt}.secret`, report, paths);
    }
    if (source.downwardAPI) downwardItemProblems(source.downwardAPI.items, `${sourceAt}.downwardAPI`, containers, report, paths);
  }
}

function fieldRefProblems(ref: FieldRef, at: string, where: 'env' | 'volume', report: Report): void {
  if (ref.apiVersion !== undefined && ref.apiVersion !== 'v1') report(`${at}.apiVersion`, `${JSON.stringify(ref.apiVersion)} must be v1`);
  const p = fieldPathProblem(ref.fieldPath, where);
  if (p) report(`${at}.fieldPath`, p);
}

function resourceFieldRefProblems(ref: ResourceFieldRef, at: string, containers: Set<string>, report: Report): void {
  if (!RESOURCE_FIELDS.includes(ref.resource)) {
    const why = `${JSON.stringify(ref.resource)} must be one of ${RESOURCE_FIELDS.join(', ')}`;
    const hint = /ephemeral-storage|hugepages/.test(String(ref.resource)) ? 'nspod does not manage that resource' : undefined;
    report(`${at}.resource`, why, hint);
  }
  if (ref.containerName !== undefined && !containers.has(ref.containerName))
    report(`${at}.containerName`, `no container named ${JSON.stringify(ref.containerName)} in the pod`);
  if (ref.divisor === undefined) return;
  const allowed = String(ref.resource).endsWith('.cpu') ? CPU_DIVISORS : MEMORY_DIVISORS;
  if (!allowed.includes(ref.divisor))
    report(
      `${at}.divisor`,
      `${ref.divisor} is not a divisor Kubernetes allows here`,
      String(ref.resource).endsWith('.cpu') ? 'cpu: 1 or 1m' : 'memory: 1, 1k, 1M, ..., 1Ki, 1Mi, ...',
    );
}

interface PodContext {
  init: boolean;
  /** The pod's terminationGracePeriodSeconds (default 30): a sleep hook may not be longer. */
  graceSeconds: number;
  volumeNames: Set<string>;
  /** Every container name of the pod, init containers' too. */
  allContainers: Set<string>;
  /** Names of the containers before this one, init containers included. */
  containerNames: Set<string>;
}

function containerProblems(c: ContainerSpec, at: string, pod: PodContext, report: Report): void {
  if (typeof c !== 'object' || c === null) return report(at, 'must be an object');
  const nameProblem = dnsLabelProblem(c.name);
  if (nameProblem) report(`${at}.name`, `${JSON.stringify(c.name)} ${nameProblem}`);
  else if (c.name === 'pause') report(`${at}.name`, '"pause" is the name of the pod\'s infra container');
  else if (pod.containerNames.has(c.name)) report(`${at}.name`, `duplicate container name ${JSON.stringify(c.name)}`);
  pod.containerNames.add(c.name);
  if (typeof c.image !== 'string' || c.image.length === 0) report(`${at}.image`, 'is required');
  for (const key of ['command', 'args'] as const) {
    const v = c[key];
    if (v !== undefined && (!Array.isArray(v) || v.some((s) => typeof s !== 'string'))) report(`${at}.${key}`, 'must be a list of strings');
    else if (v?.some((s) => Buffer.byteLength(s) >= ARG_STRLEN_MAX))
      report(`${at}.${key}`, `an item is longer than the kernel takes for one argument (${ARG_STRLEN_MAX} bytes, MAX_ARG_STRLEN)`);
  }
  // What execve takes: every argument and environment string with its NUL (the image's env comes on top of it).
  const argBytes = [...listOf(c.command), ...listOf(c.args)].reduce(
    (n, s) => n + (typeof s === 'string' ? Buffer.byteLength(s) + 1 : 0),
    0,
  );
  const envBytes = Object.entries(typeof c.env === 'object' && c.env !== null ? c.env : {}).reduce(
    (n, [name, value]) => n + Buffer.byteLength(name) + (typeof value === 'string' ? Buffer.byteLength(value) : 0) + 2,
    0,
  );
  if (argBytes + envBytes > ARG_MAX) {
    report(
      `${at}.${argBytes >= envBytes ? (listOf(c.args).length > 0 ? 'args' : 'command') : 'env'}`,
      `${argBytes} bytes of command and args and ${envBytes} of env: more than the kernel's ARG_MAX (${ARG_MAX} bytes) lets a process start with`,
    );
  }
  if (listOf(c.command).length === 0 && listOf(c.args).length === 0 && c.image === 'busybox') {
    report(`${at}.command`, 'the busybox toolbox has no default command: give command or args');
  }
  if (c.workingDir !== undefined && (typeof c.workingDir !== 'string' || !c.workingDir.startsWith('/'))) {
    report(`${at}.workingDir`, `must be an absolute path (it is ${JSON.stringify(c.workingDir)})`);
  }
  if (c.user) {
    for (const key of ['uid', 'gid'] as const) {
      const id = c.user[key];
      if (id === undefined) continue;
      const p = typeof id === 'number' && Number.isInteger(id) ? rangeProblem(id, 0, MAX_ID) : 'must be an integer >= 0';
      if (p) report(`${at}.user.${key}`, p);
    }
  }
  for (const key of ['add', 'drop'] as const) {
    for (const [j, name] of listOf(c.capabilities?.[key]).entries()) {
      if (isCapability(name)) continue;
      report(
        `${at}.capabilities.${key}[${j}]`,
        `unknown capability ${JSON.stringify(name)}`,
        'capabilities are named like NET_ADMIN, or ALL',
      );
    }
  }
  seccompProblems(c.seccompProfile, `${at}.seccompProfile`, report);
  appArmorProblems(c.appArmorProfile, `${at}.appArmorProfile`, report);
  privilegeEscalationProblems(c, at, report);
  const r = c.resources ?? {};
  for (const key of ['memoryBytes', 'cpu', 'cpuShares', 'pids'] as const) {
    const v = r[key];
    if (v !== undefined && (!Number.isFinite(v) || v <= 0)) report(`${at}.resources.${key}`, 'must be a positive number');
  }
  mountProblems(listOf(c.volumeMounts), at, pod.volumeNames, report);
  portProblems(listOf(c.ports), at, report);
  restartProblems(c, at, pod.init, report);
  for (const kind of PROBE_KINDS) {
    const probe = c[kind];
    if (probe === undefined) continue;
    if (pod.init && c.restartPolicy !== 'Always')
      report(`${at}.${kind}`, 'init containers have no probes (a sidecar, restartPolicy: Always, has)');
    else for (const p of probeProblems(c, kind, probe)) report(`${at}.${kind}${p.field}`, p.why);
  }
  if (c.lifecycle !== undefined) lifecycleProblems(c.lifecycle, `${at}.lifecycle`, c, pod, report);
  terminationMessageProblems(c, at, report);
  for (const [name, value] of Object.entries(c.env ?? {})) {
    const envAt = fieldPath(`${at}.env`, name);
    if (name.length === 0 || name.includes('=')) report(envAt, `invalid variable name ${JSON.stringify(name)}`);
    if (typeof value !== 'string') envSourceProblems(value, envAt, pod.allContainers, report);
  }
  for (const [j, from] of listOf(c.envFrom).entries()) {
    const fromAt = `${at}.envFrom[${j}]`;
    const refs = (['configMapRef', 'secretRef'] as const).filter((k) => from?.[k] !== undefined);
    if (refs.length !== 1) report(fromAt, 'needs exactly one of configMapRef and secretRef');
    for (const k of refs) objectNameProblems(from[k]!.name, `${fromAt}.${k}.name`, report);
    if (from?.prefix !== undefined && typeof from.prefix !== 'string') report(`${fromAt}.prefix`, 'must be a string');
  }
}

/** terminationMessagePath and terminationMessagePolicy as the API server checks them, and an absolute path (a mount point). */
function terminationMessageProblems(c: ContainerSpec, at: string, report: Report): void {
  const { terminationMessagePath: file, terminationMessagePolicy: policy } = c;
  if (file !== undefined && (typeof file !== 'string' || !file.startsWith('/')))
    report(`${at}.terminationMessagePath`, `${JSON.stringify(file)} must be an absolute path: the file is mounted there`);
  if (policy !== undefined && policy !== 'File' && policy !== 'FallbackToLogsOnError')
    report(`${at}.terminationMessagePolicy`, `${JSON.stringify(policy)} must be File or FallbackToLogsOnError`);
}

/** A container's restartPolicy and restartPolicyRules (Kubernetes 1.34's container restart rules; sidecars). */
function restartProblems(c: ContainerSpec, at: string, init: boolean, report: Report): void {
  const policy = c.restartPolicy;
  if (policy !== undefined && !RESTART_POLICIES.includes(policy))
    report(`${at}.restartPolicy`, `${JSON.stringify(policy)} must be Always, OnFailure or Never`);
  else if (init && policy === 'OnFailure')
    report(
      `${at}.restartPolicy`,
      'OnFailure is not supported on an init container: nspod runs an init container once, and its failure fails the pod',
      'use Never, or Always for a sidecar',
    );
  const rules = c.restartPolicyRules;
  if (rules === undefined) return;
  if (!Array.isArray(rules)) return report(`${at}.restartPolicyRules`, 'must be a list');
  if (policy === undefined)
    report(`${at}.restartPolicyRules`, "need the container's restartPolicy set too (Kubernetes requires it, even when it is the pod's)");
  if (rules.length > 20) report(`${at}.restartPolicyRules`, `at most 20 rules are allowed (there are ${rules.length})`);
  for (const [j, rule] of rules.entries()) {
    const ruleAt = `${at}.restartPolicyRules[${j}]`;
    if (typeof rule !== 'object' || rule === null) {
      report(ruleAt, 'must be an object');
      continue;
    }
    const action: string = rule.action;
    if (action !== 'Restart' && action !== 'RestartAllContainers')
      report(`${ruleAt}.action`, `${JSON.stringify(action)} must be Restart or RestartAllContainers`);
    else if (init && action === 'Restart')
      report(
        `${ruleAt}.action`,
        'Restart rules are not supported on init containers: nspod runs an init container once, and a sidecar always restarts',
      );
    else if (init && policy !== 'Always')
      report(
        `${ruleAt}.action`,
        'RestartAllContainers is not supported on an init container that runs to completion: nspod runs it once (on a sidecar or an app container it is)',
      );
    const codes = rule.exitCodes;
    if (typeof codes !== 'object' || codes === null) {
      report(`${ruleAt}.exitCodes`, 'is required: a rule matches exit codes');
      continue;
    }
    if (codes.operator !== 'In' && codes.operator !== 'NotIn')
      report(`${ruleAt}.exitCodes.operator`, `${JSON.stringify(codes.operator)} must be In or NotIn`);
    const values = codes.values;
    if (values === undefined) continue;
    if (!Array.isArray(values) || values.some((v) => !Number.isInteger(v) || v < 0 || v > MAX_ID))
      report(`${ruleAt}.exitCodes.values`, 'must be a list of exit codes (integers >= 0)');
    else if (values.length > 255) report(`${ruleAt}.exitCodes.values`, `at most 255 values are allowed (there are ${values.length})`);
    else if (new Set(values).size !== values.length) report(`${ruleAt}.exitCodes.values`, 'must not repeat a value (it is a set)');
  }
}

function envSourceProblems(source: EnvVarSource, at: string, containers: Set<string>, report: Report): void {
  if (typeof source !== 'object' || source === null) return report(at, 'must be a string or a value source');
  const kinds = (['configMapKeyRef', 'secretKeyRef', 'fieldRef', 'resourceFieldRef'] as const).filter((k) => source[k] !== undefined);
  if (kinds.length !== 1) return report(at, 'needs exactly one of configMapKeyRef, secretKeyRef, fieldRef and resourceFieldRef');
  for (const k of ['configMapKeyRef', 'secretKeyRef'] as const) {
    const ref = source[k];
    if (!ref) continue;
    objectNameProblems(ref.name, `${at}.${k}.name`, report);
    const keyProblem = configKeyProblem(ref.key);
    if (keyProblem) report(`${at}.${k}.key`, keyProblem);
  }
  if (source.fieldRef) fieldRefProblems(source.fieldRef, `${at}.fieldRef`, 'env', report);
  if (source.resourceFieldRef) resourceFieldRefProblems(source.resourceFieldRef, `${at}.resourceFieldRef`, containers, report);
}

function mountProblems(mounts: VolumeMount[], at: string, volumeNames: Set<string>, report: Report): void {
  const paths = new Set<string>();
  for (const [k, m] of mounts.entries()) {
    const mountAt = `${at}.volumeMounts[${k}]`;
    if (m.subPath !== undefined && m.subPathExpr !== undefined)
      report(`${mountAt}.subPathExpr`, 'a mount has subPath or subPathExpr, not both');
    for (const key of ['subPath', 'subPathExpr'] as const) {
      const sub = m[key];
      if (sub === undefined || sub === '') continue;
      const p = volumePathProblem(sub);
      if (p) report(`${mountAt}.${key}`, p);
    }
    if (!volumeNames.has(m.name)) report(`${mountAt}.name`, `no volume named ${JSON.stringify(m.name)} in spec.volumes`);
    const rro = m.recursiveReadOnly;
    if (rro !== undefined && rro !== 'Disabled' && rro !== 'IfPossible' && rro !== 'Enabled') {
      report(`${mountAt}.recursiveReadOnly`, `${JSON.stringify(rro)} must be Disabled, IfPossible or Enabled`);
    } else if (rro !== undefined && rro !== 'Disabled' && m.readOnly !== true) {
      report(`${mountAt}.recursiveReadOnly`, `${rro} needs readOnly: true`);
    }
    if (typeof m.mountPath !== 'string' || !m.mountPath.startsWith('/')) {
      report(`${mountAt}.mountPath`, `${JSON.stringify(m.mountPath)} must be an absolute path`);
    } else if (paths.has(m.mountPath)) report(`${mountAt}.mountPath`, `duplicate mountPath ${JSON.stringify(m.mountPath)}`);
    paths.add(m.mountPath);
  }
}

function portProblems(ports: PortSpec[], at: string, report: Report): void {
  const names = new Set<string>();
  for (const [k, port] of ports.entries()) {
    const portAt = `${at}.ports[${k}]`;
    const containerPort = portNumberProblem(port.containerPort);
    if (containerPort) report(`${portAt}.containerPort`, containerPort);
    // 0 asks for any free host port (the manifest reads Kubernetes' hostPort: 0 as no hostPort, as the API server does).
    const hostPort = port.hostPort === undefined || port.hostPort === 0 ? undefined : portNumberProblem(port.hostPort);
    if (hostPort) report(`${portAt}.hostPort`, hostPort);
    if (port.protocol !== undefined && port.protocol !== 'TCP' && port.protocol !== 'UDP') {
      report(`${portAt}.protocol`, `${JSON.stringify(port.protocol)} is not supported: TCP or UDP`);
    }
    if (port.hostIP !== undefined && port.hostIP !== '' && (typeof port.hostIP !== 'string' || !isIPv4(port.hostIP))) {
      report(`${portAt}.hostIP`, `${JSON.stringify(port.hostIP)} must be an IPv4 address`);
    }
    if (port.name === undefined) continue;
    const nameProblem = portNameProblem(port.name);
    if (nameProblem) report(`${portAt}.name`, nameProblem);
    else if (names.has(port.name)) report(`${portAt}.name`, `duplicate port name ${JSON.stringify(port.name)}`);
    names.add(port.name);
  }
}

function lifecycleProblems(l: Lifecycle, at: string, c: ContainerSpec, pod: PodContext, report: Report): void {
  if (typeof l !== 'object' || l === null) return report(at, 'must be an object');
  if (pod.init && c.restartPolicy !== 'Always' && (l.postStart !== undefined || l.preStop !== undefined))
    report(at, 'init containers have no lifecycle hooks (a sidecar, restartPolicy: Always, has)');
  if (l.stopSignal !== undefined && !STOP_SIGNALS.includes(l.stopSignal))
    report(
      `${at}.stopSignal`,
      `${JSON.stringify(l.stopSignal)} is not a signal Kubernetes knows`,
      'name it like SIGTERM, SIGQUIT or SIGUSR1',
    );
  for (const hook of LIFECYCLE_HOOKS) {
    const h = l[hook];
    if (h === undefined) continue;
    const hookAt = `${at}.${hook}`;
    if (typeof h !== 'object' || h === null) {
      report(hookAt, 'must be an object');
      continue;
    }
    const handlers = Object.keys(h).filter((k) => HOOK_HANDLERS.includes(k) && h[k as keyof LifecycleHandler] !== undefined);
    if (handlers.length === 0) report(hookAt, 'needs one of exec, httpGet, sleep');
    if (handlers.length > 1) report(`${hookAt}.${handlers[1]}`, `a hook has one handler, and this one already has ${handlers[0]}`);
    // The probe's rules hold for the handler they share.
    const shared = handlers.find((k) => k !== 'sleep') as keyof Probe | undefined;
    if (shared)
      for (const p of probeProblems(c, 'readinessProbe', { [shared]: h[shared as keyof LifecycleHandler] }))
        report(`${hookAt}${p.field}`, p.why);
    const seconds = h.sleep?.seconds;
    if (h.sleep !== undefined) {
      const p =
        typeof seconds === 'number' && Number.isInteger(seconds) ? rangeProblem(seconds, 0, pod.graceSeconds) : 'must be an integer';
      if (p) report(`${hookAt}.sleep.seconds`, p, 'a sleep hook lasts at most terminationGracePeriodSeconds');
    }
  }
}

/** A probe's problems, each with the sub-field it concerns (`.httpGet.port`; '' for the probe itself). */
function probeProblems(c: ContainerSpec, kind: ProbeKind, probe: Probe): SpecProblem[] {
  if (typeof probe !== 'object' || probe === null) return [{ field: '', why: 'must be an object' }];
  if ('grpc' in probe) return [{ field: '.grpc', why: 'grpc probes are not supported: use exec, httpGet or tcpSocket' }];
  const out: SpecProblem[] = [];
  const handlers = Object.keys(probe).filter((k) => PROBE_HANDLERS.includes(k) && probe[k as keyof Probe] !== undefined);
  if (handlers.length === 0) out.push({ field: '', why: 'needs one of exec, httpGet or tcpSocket' });
  if (handlers.length > 1) out.push({ field: `.${handlers[1]}`, why: `a probe has one handler, and this one already has ${handlers[0]}` });
  const command = probe.exec?.command;
  if (probe.exec && (!Array.isArray(command) || command.length === 0 || command.some((s) => typeof s !== 'string'))) {
    out.push({ field: '.exec.command', why: 'must be a non-empty list of strings' });
  }
  for (const handler of ['httpGet', 'tcpSocket'] as const) {
    const port = probe[handler]?.port;
    if (!probe[handler]) continue;
    const number = typeof port === 'number' || typeof port === 'string' ? resolveProbePort(c, port) : undefined;
    const unknown = `${JSON.stringify(port)} is neither a port number nor the name of one of the container's ports`;
    const why = number === undefined ? unknown : portNumberProblem(number);
    if (why) out.push({ field: `.${handler}.port`, why });
  }
  const path = probe.httpGet?.path;
  if (path !== undefined && (typeof path !== 'string' || !path.startsWith('/') || /\s/.test(path))) {
    out.push({ field: '.httpGet.path', why: `${JSON.stringify(path)} must be an absolute path without spaces` });
  }
  for (const [i, h] of listOf(probe.httpGet?.httpHeaders).entries()) {
    const at = `.httpGet.httpHeaders[${i}]`;
    if (!isHttpHeaderName(h?.name)) out.push({ field: `${at}.name`, why: `${JSON.stringify(h?.name)} is not an HTTP header name` });
    if (typeof h?.value !== 'string' || /[\r\n]/.test(h.value))
      out.push({ field: `${at}.value`, why: 'must be a string without line breaks' });
  }
  for (const [key, min] of Object.entries(PROBE_MINIMUMS) as [keyof typeof PROBE_MINIMUMS, number][]) {
    const v = probe[key];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < min) out.push({ field: `.${key}`, why: `must be an integer >= ${min}` });
    else if (key === 'successThreshold' && kind !== 'readinessProbe' && v !== 1)
      out.push({ field: '.successThreshold', why: `must be 1 for a ${kind}` });
  }
  return out;
}
