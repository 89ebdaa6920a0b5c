import { NspodError } from '../errors.js';
import {
  dnsLabelProblem,
  fieldPath,
  isCapability,
  isHttpHeaderName,
  isIPv4,
  labelValueProblem,
  metadataKeyProblem,
  portNameProblem,
} from './names.js';

/** What a pod is made of: the typed input of `Pod.create`, and what a manifest parses into. */
export interface PodSpec {
  /** A DNS-1123 label: lowercase letters, digits and '-', at most 63 characters. */
  name: string;
  /** The pod's hostname (its UTS namespace); default: the pod's name. */
  hostname?: string;
  /** Apps join the pause's pid namespace (Kubernetes `shareProcessNamespace: true`). */
  shareProcessNamespace?: boolean;
  containers: ContainerSpec[];
  /** Run to completion, in order, before the app containers start. */
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
}

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
  env?: Record<string, string>;
  workingDir?: string;
  user?: { uid: number; gid?: number };
  readOnlyRootFilesystem?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  privileged?: boolean;
  resources?: ResourceLimits;
  ports?: PortSpec[];
  volumeMounts?: VolumeMount[];
  /** Gates the other probes; the container is killed after failureThreshold failures. */
  startupProbe?: Probe;
  /** Sets the container's Ready. */
  readinessProbe?: Probe;
  /** The container is killed after failureThreshold failures. */
  livenessProbe?: Probe;
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
}

export interface PortSpec {
  containerPort: number;
  hostPort?: number;
  protocol?: 'TCP' | 'UDP';
  hostIP?: string;
  name?: string;
}

export interface VolumeSpec {
  name: string;
  emptyDir?: Record<string, never> | { medium?: string };
  hostPath?: { path: string; type?: string };
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
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
const VOLUME_SOURCES: readonly string[] = ['emptyDir', 'hostPath'];
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
  const pod = { volumeNames: volumeProblems(listOf(spec.volumes), report), containerNames: new Set<string>() };
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
  const grace = spec.terminationGracePeriodSeconds;
  if (grace !== undefined) {
    const p = typeof grace === 'number' && Number.isFinite(grace) ? rangeProblem(grace, 0) : 'must be a number >= 0';
    if (p) report('terminationGracePeriodSeconds', p);
  }
}

/** The volumes' problems; returns their names, for the mounts. */
function volumeProblems(volumes: VolumeSpec[], report: Report): Set<string> {
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
    if (sources.length === 0) report(at, 'needs exactly one of emptyDir or hostPath');
    if (sources.length > 1) report(`${at}.${sources[1]}`, `a volume has one source, and this one already has ${sources[0]}`);
    const medium = (v.emptyDir as { medium?: unknown } | undefined)?.medium;
    if (medium !== undefined && medium !== '' && medium !== 'Memory')
      report(`${at}.emptyDir.medium`, `${JSON.stringify(medium)} must be "" or Memory`);
    const path = v.hostPath?.path;
    if (v.hostPath && (typeof path !== 'string' || !path.startsWith('/')))
      report(`${at}.hostPath.path`, `${JSON.stringify(path)} must be an absolute path`);
  }
  return names;
}

interface PodContext {
  init: boolean;
  volumeNames: Set<string>;
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
      if (id === undefined && key === 'gid') continue;
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
  const r = c.resources ?? {};
  for (const key of ['memoryBytes', 'cpu', 'cpuShares', 'pids'] as const) {
    const v = r[key];
    if (v !== undefined && (!Number.isFinite(v) || v <= 0)) report(`${at}.resources.${key}`, 'must be a positive number');
  }
  mountProblems(listOf(c.volumeMounts), at, pod.volumeNames, report);
  portProblems(listOf(c.ports), at, report);
  for (const kind of PROBE_KINDS) {
    const probe = c[kind];
    if (probe === undefined) continue;
    if (pod.init) report(`${at}.${kind}`, 'init containers have no probes');
    else for (const p of probeProblems(c, kind, probe)) report(`${at}.${kind}${p.field}`, p.why);
  }
  for (const [name, value] of Object.entries(c.env ?? {})) {
    if (name.length === 0 || name.includes('=')) report(fieldPath(`${at}.env`, name), `invalid variable name ${JSON.stringify(name)}`);
    if (typeof value !== 'string') report(fieldPath(`${at}.env`, name), 'must be a string');
  }
}

function mountProblems(mounts: VolumeMount[], at: string, volumeNames: Set<string>, report: Report): void {
  const paths = new Set<string>();
  for (const [k, m] of mounts.entries()) {
    const mountAt = `${at}.volumeMounts[${k}]`;
    if (!volumeNames.has(m.name)) report(`${mountAt}.name`, `no volume named ${JSON.stringify(m.name)} in spec.volumes`);
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
    const hostPort = port.hostPort === undefined ? undefined : portNumberProblem(port.hostPort);
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
