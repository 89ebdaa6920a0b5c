import { NspodError } from '../errors.js';

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

/** Why a probe is invalid, with the sub-field it concerns (`.httpGet.port`), or undefined. */
export function probeProblem(c: ContainerSpec, kind: ProbeKind, probe: Probe): { field: string; why: string } | undefined {
  if (typeof probe !== 'object' || probe === null) return { field: '', why: 'must be an object' };
  if ('grpc' in probe) return { field: '.grpc', why: 'grpc probes are not supported: use exec, httpGet or tcpSocket' };
  const handlers = (['exec', 'httpGet', 'tcpSocket'] as const).filter((h) => probe[h] !== undefined);
  if (handlers.length !== 1)
    return {
      field: '',
      why: `needs exactly one of exec, httpGet or tcpSocket${handlers.length > 1 ? ` (it has ${handlers.join(' and ')})` : ''}`,
    };
  if (
    probe.exec &&
    (!Array.isArray(probe.exec.command) || probe.exec.command.length === 0 || probe.exec.command.some((s) => typeof s !== 'string'))
  ) {
    return { field: '.exec.command', why: 'must be a non-empty list of strings' };
  }
  const net = probe.httpGet ?? probe.tcpSocket;
  if (net) {
    const at = probe.httpGet ? '.httpGet' : '.tcpSocket';
    const port = net.port;
    const number = typeof port === 'number' || typeof port === 'string' ? resolveProbePort(c, port) : undefined;
    if (number === undefined)
      return { field: `${at}.port`, why: `${JSON.stringify(port)} is neither a port number nor the name of one of the container's ports` };
    if (!Number.isInteger(number) || number < 1 || number > 65535) return { field: `${at}.port`, why: 'must be a port number 1-65535' };
  }
  if (probe.httpGet) {
    if (
      probe.httpGet.path !== undefined &&
      (typeof probe.httpGet.path !== 'string' || !probe.httpGet.path.startsWith('/') || /[\s]/.test(probe.httpGet.path))
    ) {
      return { field: '.httpGet.path', why: 'must be an absolute path without spaces' };
    }
    for (const [i, h] of (probe.httpGet.httpHeaders ?? []).entries()) {
      if (typeof h?.name !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(h.name))
        return { field: `.httpGet.httpHeaders[${i}].name`, why: 'must be an HTTP header name' };
      if (typeof h.value !== 'string' || /[\r\n]/.test(h.value))
        return { field: `.httpGet.httpHeaders[${i}].value`, why: 'must be a string without line breaks' };
    }
  }
  const minimum = { initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 1 } as const;
  for (const [key, min] of Object.entries(minimum) as [keyof typeof minimum, number][]) {
    const v = probe[key];
    if (v !== undefined && (!Number.isInteger(v) || v < min)) return { field: `.${key}`, why: `must be an integer >= ${min}` };
  }
  if (kind !== 'readinessProbe' && probe.successThreshold !== undefined && probe.successThreshold !== 1) {
    return { field: '.successThreshold', why: `must be 1 for a ${kind}` };
  }
  return undefined;
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

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Kubernetes' DNS-1123 label rule, with a reason when a name breaks it. */
export function dnsLabelProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'must be a non-empty string';
  if (name.length > 63) return `must be at most 63 characters (it has ${name.length})`;
  if (!DNS_LABEL.test(name)) return "must consist of lowercase letters, digits and '-', and start and end with a letter or digit";
  return undefined;
}

/** Checks a PodSpec before anything is created; the error names the field. */
export function validatePodSpec(spec: PodSpec): void {
  const bad = (field: string, why: string): never => {
    throw new NspodError('INVALID_SPEC', `${field}: ${why}`);
  };
  if (typeof spec !== 'object' || spec === null) bad('pod', 'must be an object');
  const nameProblem = dnsLabelProblem(spec.name);
  if (nameProblem) bad('name', `${JSON.stringify(spec.name)} ${nameProblem}`);
  if (spec.hostname !== undefined) {
    const p = dnsLabelProblem(spec.hostname);
    if (p) bad('hostname', `${JSON.stringify(spec.hostname)} ${p}`);
  }
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) bad('containers', 'a pod needs at least one container');
  if (spec.restartPolicy !== undefined && !['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy)) {
    bad('restartPolicy', `${JSON.stringify(spec.restartPolicy)} must be Always, OnFailure or Never`);
  }
  const grace = spec.terminationGracePeriodSeconds;
  if (grace !== undefined && (!Number.isFinite(grace) || grace < 0)) bad('terminationGracePeriodSeconds', 'must be a number >= 0');
  const volumeNames = new Set<string>();
  for (const [i, v] of (spec.volumes ?? []).entries()) {
    const p = dnsLabelProblem(v.name);
    if (p) bad(`volumes[${i}].name`, `${JSON.stringify(v.name)} ${p}`);
    if (volumeNames.has(v.name)) bad(`volumes[${i}].name`, `duplicate volume name ${JSON.stringify(v.name)}`);
    volumeNames.add(v.name);
    if (!v.emptyDir === !v.hostPath) bad(`volumes[${i}]`, 'needs exactly one of emptyDir or hostPath');
    if (v.hostPath && (typeof v.hostPath.path !== 'string' || !v.hostPath.path.startsWith('/')))
      bad(`volumes[${i}].hostPath.path`, 'must be an absolute path');
  }
  const seen = new Set<string>();
  const all: [string, ContainerSpec[]][] = [
    ['initContainers', spec.initContainers ?? []],
    ['containers', spec.containers],
  ];
  for (const [list, containers] of all) {
    for (const [i, c] of containers.entries()) {
      const at = `${list}[${i}]`;
      const p = dnsLabelProblem(c?.name);
      if (p) bad(`${at}.name`, `${JSON.stringify(c?.name)} ${p}`);
      if (c.name === 'pause') bad(`${at}.name`, '"pause" is the name of the pod\'s infra container');
      if (seen.has(c.name)) bad(`${at}.name`, `duplicate container name ${JSON.stringify(c.name)}`);
      seen.add(c.name);
      if (typeof c.image !== 'string' || c.image.length === 0) bad(`${at}.image`, 'is required');
      for (const key of ['command', 'args'] as const) {
        const v = c[key];
        if (v !== undefined && (!Array.isArray(v) || v.some((s) => typeof s !== 'string')))
          bad(`${at}.${key}`, 'must be a list of strings');
      }
      if ((c.command ?? []).length === 0 && (c.args ?? []).length === 0 && c.image === 'busybox') {
        bad(`${at}.command`, 'the busybox toolbox has no default command: give command or args');
      }
      if (c.workingDir !== undefined && !c.workingDir.startsWith('/')) bad(`${at}.workingDir`, 'must be an absolute path');
      if (c.user) {
        if (!Number.isInteger(c.user.uid) || c.user.uid < 0) bad(`${at}.user.uid`, 'must be an integer >= 0');
        if (c.user.gid !== undefined && (!Number.isInteger(c.user.gid) || c.user.gid < 0)) bad(`${at}.user.gid`, 'must be an integer >= 0');
      }
      const r = c.resources ?? {};
      for (const key of ['memoryBytes', 'cpu', 'cpuShares', 'pids'] as const) {
        const v = r[key];
        if (v !== undefined && (!Number.isFinite(v) || v <= 0)) bad(`${at}.resources.${key}`, 'must be a positive number');
      }
      for (const [k, m] of (c.volumeMounts ?? []).entries()) {
        if (!volumeNames.has(m.name)) bad(`${at}.volumeMounts[${k}].name`, `no volume named ${JSON.stringify(m.name)}`);
        if (typeof m.mountPath !== 'string' || !m.mountPath.startsWith('/'))
          bad(`${at}.volumeMounts[${k}].mountPath`, 'must be an absolute path');
      }
      for (const [k, port] of (c.ports ?? []).entries()) {
        const ok = (n: unknown) => Number.isInteger(n) && (n as number) > 0 && (n as number) < 65536;
        if (!ok(port.containerPort)) bad(`${at}.ports[${k}].containerPort`, 'must be a port number 1-65535');
        if (port.hostPort !== undefined && !ok(port.hostPort)) bad(`${at}.ports[${k}].hostPort`, 'must be a port number 1-65535');
        if (port.protocol !== undefined && port.protocol !== 'TCP' && port.protocol !== 'UDP')
          bad(`${at}.ports[${k}].protocol`, 'must be TCP or UDP');
      }
      for (const kind of PROBE_KINDS) {
        const probe = c[kind];
        if (probe === undefined) continue;
        if (list === 'initContainers') bad(`${at}.${kind}`, 'init containers have no probes');
        const problem = probeProblem(c, kind, probe);
        if (problem) bad(`${at}.${kind}${problem.field}`, problem.why);
      }
      for (const [k, v] of Object.entries(c.env ?? {})) {
        if (k.length === 0 || k.includes('=')) bad(`${at}.env`, `invalid variable name ${JSON.stringify(k)}`);
        if (typeof v !== 'string') bad(`${at}.env.${k}`, 'must be a string');
      }
    }
  }
}
