/**
 * One Kubernetes `v1 Pod` document → PodSpec. Every Kubernetes field of every object nspod reads has
 * an entry in a table below (typed against `kubernetes-types`, so a field cannot be forgotten):
 * a handler, `ignored` (accepted with a warning) or `unsupported` (an error). Supporting a field
 * later is replacing its entry with a handler.
 */
import { isIP } from 'node:net';
import type * as k8s from 'kubernetes-types/core/v1.js';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { ALL_CAPABILITIES, capabilityName, dnsLabelProblem } from '../spec/names.js';
import {
  PROBE_DEFAULTS,
  type ContainerSpec,
  type PodSpec,
  type PortSpec,
  type Probe,
  type ProbeKind,
  type VolumeMount,
  type VolumeSpec,
} from '../spec/spec.js';
import { Field } from './field.js';
import { isFractional, isNegative, milliCpuToShares, parseQuantity, quantityBytes, quantityMillis, type Quantity } from './quantity.js';

/** The annotation that picks the pod's network (`default`, `none` or a CNI conflist name). */
export const NETWORK_ANNOTATION = 'nspod.io/network';

type Handler<D> = (field: Field, draft: D) => void;
type Rule<D> = Handler<D> | { ignored: string } | { unsupported: string };
/** One rule per Kubernetes field of `K` (all of them, checked by the compiler), plus newer fields by name. */
type Table<K, D> = { readonly [Key in keyof Required<K>]: Rule<D> } & { readonly [newer: string]: Rule<D> };

const ignored = (why: string) => ({ ignored: why });
const unsupported = (hint = 'nspod does not implement it yet: remove it to run this pod with nspod') => ({ unsupported: hint });
const ONE_HOST = ignored('has no effect on a single host');
const NO_SCHEDULER = ignored('there is no scheduler on a single host');
const NO_ACCOUNTS = ignored('there are no service accounts here');
const SERVER_SET = ignored('set by the API server');
const UNSUPPORTED = unsupported();

/** A field nspod cannot change from its Kubernetes default: the default is accepted, anything else is not supported. */
function onlyDefault<D>(defaultValue: string | boolean): Handler<D> {
  return (field) => {
    const value = field.scalar(JSON.stringify(defaultValue));
    if (value !== defaultValue) field.fail(`${JSON.stringify(value)} is not supported (only ${JSON.stringify(defaultValue)})`);
  };
}

/** Applies a table to a map field: each entry goes to its rule; an unknown key is an error. */
function applyTable<D>(field: Field, table: Table<unknown, D>, draft: D): void {
  for (const entry of field.entries()) {
    const rule = Object.hasOwn(table, entry.key) ? table[entry.key] : undefined;
    if (rule === undefined) return entry.fail('unknown field', `known fields here: ${Object.keys(table).join(', ')}`);
    if (entry.isNull) continue;
    if (typeof rule === 'function') rule(entry, draft);
    else if ('ignored' in rule) entry.warn(`ignored: ${rule.ignored}`);
    else entry.fail('not supported', rule.unsupported);
  }
}

interface Valued<T> {
  value: T;
  field: Field;
}

interface SecurityDraft {
  runAsUser?: Valued<number>;
  runAsGroup?: Valued<number>;
  runAsNonRoot?: Valued<boolean>;
}

type ResourceName = 'cpu' | 'memory';
type ResourceDraft = Partial<Record<ResourceName, Valued<Quantity>>>;

interface ContainerDraft {
  field: Field;
  /** `containers[0]` or `initContainers[1]`: its path in the PodSpec. */
  specPath: string;
  spec: Partial<ContainerSpec>;
  security: SecurityDraft;
  limits: ResourceDraft;
  requests: ResourceDraft;
  mounts: Valued<VolumeMount>[];
  ports: Valued<Partial<PortSpec>>[];
  probes: ProbeDraft[];
}

interface ProbeDraft {
  kind: ProbeKind;
  field: Field;
  probe: Probe;
  handlers: Field[];
  /** A port given by name: resolved against the container's ports once they are all read. */
  portField?: Field;
}

interface PodDraft {
  root: Field;
  metadata?: Field;
  spec: Partial<PodSpec>;
  containers?: ContainerDraft[];
  initContainers?: ContainerDraft[];
  volumes: Valued<VolumeSpec>[];
  security: SecurityDraft;
  network?: Field;
  hostNetwork?: Field;
}

// ---------------------------------------------------------------- metadata

/** Kubernetes label values and the name part of label and annotation keys. */
const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function keyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
    return 'its prefix must be a DNS subdomain (example.com/)';
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return "its name must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  }
  return undefined;
}

function readLabels(field: Field): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const entry of field.entries()) {
    const problem = keyProblem(entry.key);
    if (problem) entry.fail(`invalid label key: ${problem}`);
    const value = entry.isNull ? '' : entry.string();
    if (value.length > 63 || (value !== '' && !QUALIFIED_NAME.test(value))) {
      entry.fail(
        `invalid label value ${JSON.stringify(value)}: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
      );
    }
    labels[entry.key] = value;
  }
  return labels;
}

function readAnnotations(field: Field, draft: PodDraft): Record<string, string> {
  const annotations: Record<string, string> = {};
  for (const entry of field.entries()) {
    const problem = keyProblem(entry.key);
    if (problem) entry.fail(`invalid annotation key: ${problem}`);
    annotations[entry.key] = entry.isNull ? '' : entry.string();
    if (entry.key === NETWORK_ANNOTATION) {
      if (annotations[entry.key] === '') entry.fail('must name a network: default, none or a CNI conflist name');
      draft.network = entry;
      draft.spec.network = annotations[entry.key];
      entry.origin('network');
    } else if (entry.key.startsWith('nspod.io/')) {
      entry.warn(`ignored: nspod knows no annotation ${JSON.stringify(entry.key)} (it knows ${NETWORK_ANNOTATION})`);
    }
  }
  return annotations;
}

const METADATA: Table<ObjectMeta, PodDraft> = {
  name: (f, d) => {
    const name = f.string();
    const problem = dnsLabelProblem(name);
    if (problem) f.fail(`${JSON.stringify(name)} ${problem}`, 'a pod name here is a DNS-1123 label');
    d.spec.name = name;
    f.origin('name');
  },
  labels: (f, d) => {
    d.spec.labels = readLabels(f);
    f.origin('labels');
  },
  annotations: (f, d) => {
    d.spec.annotations = readAnnotations(f, d);
    f.origin('annotations');
  },
  namespace: ignored('a single host has no namespaces'),
  generateName: unsupported('give metadata.name'),
  uid: SERVER_SET,
  creationTimestamp: SERVER_SET,
  deletionTimestamp: SERVER_SET,
  deletionGracePeriodSeconds: SERVER_SET,
  generation: SERVER_SET,
  resourceVersion: SERVER_SET,
  selfLink: SERVER_SET,
  managedFields: SERVER_SET,
  ownerReferences: ignored('there are no controllers here'),
  finalizers: ignored('there is no API server here'),
};

// ---------------------------------------------------------------- containers

const runAsFields = {
  runAsUser: (f: Field, d: SecurityDraft) => {
    d.runAsUser = { value: f.integer(0, 2 ** 31 - 1), field: f };
  },
  runAsGroup: (f: Field, d: SecurityDraft) => {
    d.runAsGroup = { value: f.integer(0, 2 ** 31 - 1), field: f };
  },
  runAsNonRoot: (f: Field, d: SecurityDraft) => {
    d.runAsNonRoot = { value: f.boolean(), field: f };
  },
};

const POD_SECURITY: Table<k8s.PodSecurityContext, PodDraft> = {
  runAsUser: (f, d) => runAsFields.runAsUser(f, d.security),
  runAsGroup: (f, d) => runAsFields.runAsGroup(f, d.security),
  runAsNonRoot: (f, d) => runAsFields.runAsNonRoot(f, d.security),
  appArmorProfile: UNSUPPORTED,
  fsGroup: UNSUPPORTED,
  fsGroupChangePolicy: UNSUPPORTED,
  seLinuxOptions: UNSUPPORTED,
  seccompProfile: UNSUPPORTED,
  supplementalGroups: UNSUPPORTED,
  supplementalGroupsPolicy: UNSUPPORTED,
  seLinuxChangePolicy: UNSUPPORTED,
  sysctls: UNSUPPORTED,
  windowsOptions: ignored('Windows only'),
};

const CAPABILITIES: Table<k8s.Capabilities, ContainerDraft> = {
  add: (f, d) => {
    d.spec.capabilities = { ...d.spec.capabilities, add: capabilityList(f) };
  },
  drop: (f, d) => {
    d.spec.capabilities = { ...d.spec.capabilities, drop: capabilityList(f) };
  },
};

function capabilityList(field: Field): string[] {
  return field.items().map((item) => {
    const name = item.string();
    const full = capabilityName(name);
    if (full !== 'CAP_ALL' && !ALL_CAPABILITIES.includes(full))
      item.fail(`unknown capability ${JSON.stringify(name)}`, 'capabilities are named like NET_ADMIN, or ALL');
    return name;
  });
}

const CONTAINER_SECURITY: Table<k8s.SecurityContext, ContainerDraft> = {
  runAsUser: (f, d) => runAsFields.runAsUser(f, d.security),
  runAsGroup: (f, d) => runAsFields.runAsGroup(f, d.security),
  runAsNonRoot: (f, d) => runAsFields.runAsNonRoot(f, d.security),
  readOnlyRootFilesystem: (f, d) => {
    d.spec.readOnlyRootFilesystem = f.boolean();
  },
  privileged: (f, d) => {
    d.spec.privileged = f.boolean();
  },
  capabilities: (f, d) => applyTable(f, CAPABILITIES, d),
  // Containers here run with no_new_privs off: true (the default) is what they get.
  allowPrivilegeEscalation: onlyDefault(true),
  procMount: onlyDefault('Default'),
  appArmorProfile: UNSUPPORTED,
  seLinuxOptions: UNSUPPORTED,
  seccompProfile: UNSUPPORTED,
  windowsOptions: ignored('Windows only'),
};

interface EnvDraft {
  name?: string;
  value: string;
}

const ENV_VAR: Table<k8s.EnvVar, EnvDraft> = {
  name: (f, d) => {
    d.name = f.string();
    if (d.name === '' || d.name.includes('=')) f.fail(`invalid variable name ${JSON.stringify(d.name)}`);
  },
  value: (f, d) => {
    d.value = f.string();
  },
  valueFrom: unsupported('only literal values are supported: give value'),
};

const PORT: Table<k8s.ContainerPort, Partial<PortSpec>> = {
  containerPort: (f, d) => {
    d.containerPort = f.integer(1, 65535);
  },
  hostPort: (f, d) => {
    d.hostPort = f.integer(1, 65535);
  },
  protocol: (f, d) => {
    const protocol = f.string();
    if (protocol !== 'TCP' && protocol !== 'UDP') return f.fail(`${JSON.stringify(protocol)} is not supported: TCP or UDP`);
    d.protocol = protocol;
  },
  hostIP: (f, d) => {
    const ip = f.string();
    if (isIP(ip) === 0) f.fail(`${JSON.stringify(ip)} is not an IP address`);
    d.hostIP = ip;
  },
  name: (f, d) => {
    const name = f.string();
    // IANA service name: what Kubernetes requires of a port name.
    if (name.length > 15 || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name) || !/[a-z]/.test(name) || name.includes('--')) {
      f.fail(`${JSON.stringify(name)} must be at most 15 lowercase letters, digits and '-' (not doubled), with a letter`);
    }
    d.name = name;
  },
};

function resourceAmount(name: ResourceName): Handler<ResourceDraft> {
  return (f, d) => {
    const q = parseQuantity(f.scalar('a quantity'));
    if (typeof q === 'string') return f.fail(q);
    if (isNegative(q)) f.fail('must not be negative');
    if (name === 'memory' && isFractional(q))
      f.fail('is a fraction of a byte', 'for mebibytes write Mi (128Mi), for megabytes M (128M); m means thousandths');
    d[name] = { value: q, field: f };
  };
}

const LIMITS: Table<Record<ResourceName, unknown>, ResourceDraft> = {
  cpu: resourceAmount('cpu'),
  memory: resourceAmount('memory'),
  'ephemeral-storage': UNSUPPORTED,
};

const REQUESTS: Table<Record<ResourceName, unknown>, ResourceDraft> = {
  ...LIMITS,
  memory: (f, d) => {
    resourceAmount('memory')(f, d);
    f.warn('accepted, not enforced: nspod sets memory limits only');
  },
};

const RESOURCES: Table<k8s.ResourceRequirements, ContainerDraft> = {
  limits: (f, d) => applyTable(f, LIMITS, d.limits),
  requests: (f, d) => applyTable(f, REQUESTS, d.requests),
  claims: unsupported('there are no resource claims here'),
};

const VOLUME_MOUNT: Table<k8s.VolumeMount, Partial<VolumeMount>> = {
  name: (f, d) => {
    d.name = f.string();
  },
  mountPath: (f, d) => {
    d.mountPath = f.string();
    if (!d.mountPath.startsWith('/')) f.fail(`${JSON.stringify(d.mountPath)} must be an absolute path`);
  },
  readOnly: (f, d) => {
    d.readOnly = f.boolean();
  },
  mountPropagation: onlyDefault('None'),
  recursiveReadOnly: onlyDefault('Disabled'),
  subPath: UNSUPPORTED,
  subPathExpr: UNSUPPORTED,
};

const EXEC_ACTION: Table<k8s.ExecAction, ProbeDraft> = {
  command: (f, d) => {
    const command = f.stringList();
    if (command.length === 0) f.fail('must not be empty');
    d.probe.exec = { command };
  },
};

function probePort(f: Field, d: ProbeDraft): number | string {
  const value = f.scalar('a port number or name');
  if (typeof value === 'number') return f.integer(1, 65535);
  if (typeof value === 'string' && /^[a-z0-9-]{1,15}$/.test(value) && /[a-z]/.test(value)) {
    d.portField = f;
    return value;
  }
  return f.fail(`${JSON.stringify(value)} must be a port number 1-65535 or the name of one of the container's ports`);
}

const LOCALHOST_ONLY = unsupported('probes connect to 127.0.0.1 inside the pod: remove host');

const HTTP_HEADER: Table<k8s.HTTPHeader, Partial<{ name: string; value: string }>> = {
  name: (f, d) => {
    d.name = f.string();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(d.name)) f.fail(`${JSON.stringify(d.name)} is not an HTTP header name`);
  },
  value: (f, d) => {
    d.value = f.string();
    if (/[\r\n]/.test(d.value)) f.fail('must not contain line breaks');
  },
};

const HTTP_GET_ACTION: Table<k8s.HTTPGetAction, ProbeDraft> = {
  path: (f, d) => {
    const path = f.string();
    if (!path.startsWith('/') || /\s/.test(path)) f.fail(`${JSON.stringify(path)} must be an absolute path without spaces`);
    d.probe.httpGet = { ...d.probe.httpGet!, path };
  },
  port: (f, d) => {
    d.probe.httpGet = { ...d.probe.httpGet!, port: probePort(f, d) };
  },
  httpHeaders: (f, d) => {
    const headers = f.items().map((item) => {
      const header: Partial<{ name: string; value: string }> = {};
      applyTable(item, HTTP_HEADER, header);
      if (header.name === undefined) item.require('name');
      return { name: header.name!, value: header.value ?? '' };
    });
    d.probe.httpGet = { ...d.probe.httpGet!, httpHeaders: headers };
  },
  scheme: onlyDefault('HTTP'),
  host: LOCALHOST_ONLY,
};

const TCP_SOCKET_ACTION: Table<k8s.TCPSocketAction, ProbeDraft> = {
  port: (f, d) => {
    d.probe.tcpSocket = { port: probePort(f, d) };
  },
  host: LOCALHOST_ONLY,
};

function probeTiming(key: keyof typeof PROBE_DEFAULTS, min: number): Handler<ProbeDraft> {
  return (f, d) => {
    d.probe[key] = f.integer(min);
    if (key === 'successThreshold' && d.kind !== 'readinessProbe' && d.probe[key] !== 1) f.fail(`must be 1 for a ${d.kind}`);
  };
}

const PROBE: Table<k8s.Probe, ProbeDraft> = {
  exec: (f, d) => {
    d.handlers.push(f);
    applyTable(f, EXEC_ACTION, d);
    if (!d.probe.exec) f.require('command');
  },
  httpGet: (f, d) => {
    d.handlers.push(f);
    d.probe.httpGet = { path: '/', port: 0 };
    applyTable(f, HTTP_GET_ACTION, d);
    if (d.probe.httpGet.port === 0) f.require('port');
  },
  tcpSocket: (f, d) => {
    d.handlers.push(f);
    d.probe.tcpSocket = { port: 0 };
    applyTable(f, TCP_SOCKET_ACTION, d);
    if (d.probe.tcpSocket.port === 0) f.require('port');
  },
  grpc: unsupported('grpc probes are not supported: use exec, httpGet or tcpSocket'),
  initialDelaySeconds: probeTiming('initialDelaySeconds', 0),
  periodSeconds: probeTiming('periodSeconds', 1),
  timeoutSeconds: probeTiming('timeoutSeconds', 1),
  successThreshold: probeTiming('successThreshold', 1),
  failureThreshold: probeTiming('failureThreshold', 1),
  terminationGracePeriodSeconds: unsupported('a killed container gets no grace period here'),
};

/** A probe with Kubernetes' defaults filled in, as the API server would. */
function probeRule(kind: ProbeKind): Handler<ContainerDraft> {
  return (f, d) => {
    const draft: ProbeDraft = { kind, field: f, probe: {}, handlers: [] };
    applyTable(f, PROBE, draft);
    if (draft.handlers.length === 0) f.fail('needs one of exec, httpGet or tcpSocket');
    if (draft.handlers.length > 1) draft.handlers[1]!.fail(`a probe has one handler, and this one already has ${draft.handlers[0]!.key}`);
    draft.probe = {
      ...draft.probe,
      ...Object.fromEntries(Object.entries(PROBE_DEFAULTS).filter(([k]) => draft.probe[k as keyof Probe] === undefined)),
    };
    f.origin(`${d.specPath}.${kind}`);
    d.probes.push(draft);
  };
}

const CONTAINER: Table<k8s.Container, ContainerDraft> = {
  name: (f, d) => {
    const name = f.string();
    const problem = dnsLabelProblem(name);
    if (problem) f.fail(`${JSON.stringify(name)} ${problem}`);
    if (name === 'pause') f.fail('"pause" is the name of the pod\'s infra container');
    d.spec.name = name;
    f.origin(`${d.specPath}.name`);
  },
  image: (f, d) => {
    d.spec.image = f.string();
    if (d.spec.image === '') f.fail('must not be empty');
    f.origin(`${d.specPath}.image`);
  },
  command: (f, d) => {
    d.spec.command = f.stringList();
    f.origin(`${d.specPath}.command`);
  },
  args: (f, d) => {
    d.spec.args = f.stringList();
    f.origin(`${d.specPath}.args`);
  },
  workingDir: (f, d) => {
    d.spec.workingDir = f.string();
    if (!d.spec.workingDir.startsWith('/')) f.fail(`${JSON.stringify(d.spec.workingDir)} must be an absolute path`);
    f.origin(`${d.specPath}.workingDir`);
  },
  env: (f, d) => {
    const env: Record<string, string> = {};
    for (const item of f.items()) {
      const draft: EnvDraft = { value: '' };
      applyTable(item, ENV_VAR, draft);
      if (draft.name === undefined) item.require('name');
      env[draft.name!] = draft.value; // a later entry wins, as in Kubernetes
    }
    d.spec.env = env;
    f.origin(`${d.specPath}.env`);
  },
  ports: (f, d) => {
    for (const item of f.items()) {
      const port: Partial<PortSpec> = {};
      applyTable(item, PORT, port);
      if (port.containerPort === undefined) item.require('containerPort');
      d.ports.push({ value: port, field: item });
    }
  },
  resources: (f, d) => applyTable(f, RESOURCES, d),
  securityContext: (f, d) => applyTable(f, CONTAINER_SECURITY, d),
  volumeMounts: (f, d) => {
    for (const item of f.items()) {
      const mount: Partial<VolumeMount> = {};
      applyTable(item, VOLUME_MOUNT, mount);
      if (mount.name === undefined) item.require('name');
      if (mount.mountPath === undefined) item.require('mountPath');
      d.mounts.push({ value: mount as VolumeMount, field: item });
    }
  },
  livenessProbe: probeRule('livenessProbe'),
  readinessProbe: probeRule('readinessProbe'),
  startupProbe: probeRule('startupProbe'),
  lifecycle: UNSUPPORTED,
  envFrom: unsupported('only env with literal values is supported'),
  volumeDevices: UNSUPPORTED,
  restartPolicy: unsupported('sidecar containers are not implemented yet'),
  resizePolicy: ONE_HOST,
  imagePullPolicy: ignored('an image is pulled (skopeo) only when it is not in the cache yet'),
  terminationMessagePath: ignored('there are no termination messages here'),
  terminationMessagePolicy: ignored('there are no termination messages here'),
  stdin: ignored('containers here have no attached stdin'),
  stdinOnce: ignored('containers here have no attached stdin'),
  tty: ignored('containers here have no terminal: use exec with tty'),
};

function readContainers(field: Field, list: 'containers' | 'initContainers'): ContainerDraft[] {
  return field.items().map((item, i) => {
    const draft: ContainerDraft = {
      field: item,
      specPath: `${list}[${i}]`,
      spec: {},
      security: {},
      limits: {},
      requests: {},
      mounts: [],
      ports: [],
      probes: [],
    };
    item.origin(draft.specPath);
    applyTable(item, CONTAINER, draft);
    if (draft.spec.name === undefined) item.require('name');
    if (draft.spec.image === undefined) item.require('image');
    return draft;
  });
}

// ---------------------------------------------------------------- volumes

const EMPTY_DIR: Table<k8s.EmptyDirVolumeSource, { medium?: string }> = {
  medium: (f, d) => {
    const medium = f.string();
    if (medium !== '' && medium !== 'Memory') f.fail(`${JSON.stringify(medium)} must be "" or Memory`);
    if (medium !== '') d.medium = medium;
  },
  sizeLimit: UNSUPPORTED,
};

const HOST_PATH_TYPES = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'];

const HOST_PATH: Table<k8s.HostPathVolumeSource, Partial<{ path: string; type: string }>> = {
  path: (f, d) => {
    d.path = f.string();
    if (!d.path.startsWith('/')) f.fail(`${JSON.stringify(d.path)} must be an absolute path`);
  },
  type: (f, d) => {
    const type = f.string();
    if (!HOST_PATH_TYPES.includes(type))
      f.fail(`${JSON.stringify(type)} must be one of ${HOST_PATH_TYPES.filter(Boolean).join(', ')} or ""`);
    if (type !== '') d.type = type;
  },
};

interface VolumeDraft {
  volume: Partial<VolumeSpec>;
  sources: Field[];
}

const VOLUME: Table<k8s.Volume, VolumeDraft> = {
  name: (f, d) => {
    const name = f.string();
    const problem = dnsLabelProblem(name);
    if (problem) f.fail(`${JSON.stringify(name)} ${problem}`);
    d.volume.name = name;
  },
  emptyDir: (f, d) => {
    const emptyDir: { medium?: string } = {};
    applyTable(f, EMPTY_DIR, emptyDir);
    d.volume.emptyDir = emptyDir;
    d.sources.push(f);
  },
  hostPath: (f, d) => {
    const hostPath: Partial<{ path: string; type: string }> = {};
    applyTable(f, HOST_PATH, hostPath);
    if (hostPath.path === undefined) f.require('path');
    d.volume.hostPath = hostPath as { path: string; type?: string };
    d.sources.push(f);
  },
  awsElasticBlockStore: UNSUPPORTED,
  azureDisk: UNSUPPORTED,
  azureFile: UNSUPPORTED,
  cephfs: UNSUPPORTED,
  cinder: UNSUPPORTED,
  configMap: UNSUPPORTED,
  csi: UNSUPPORTED,
  downwardAPI: UNSUPPORTED,
  ephemeral: UNSUPPORTED,
  fc: UNSUPPORTED,
  flexVolume: UNSUPPORTED,
  flocker: UNSUPPORTED,
  gcePersistentDisk: UNSUPPORTED,
  gitRepo: UNSUPPORTED,
  glusterfs: UNSUPPORTED,
  image: UNSUPPORTED,
  iscsi: UNSUPPORTED,
  nfs: UNSUPPORTED,
  persistentVolumeClaim: UNSUPPORTED,
  photonPersistentDisk: UNSUPPORTED,
  portworxVolume: UNSUPPORTED,
  projected: UNSUPPORTED,
  quobyte: UNSUPPORTED,
  rbd: UNSUPPORTED,
  scaleIO: UNSUPPORTED,
  secret: UNSUPPORTED,
  storageos: UNSUPPORTED,
  vsphereVolume: UNSUPPORTED,
};

function readVolumes(field: Field): Valued<VolumeSpec>[] {
  const seen = new Set<string>();
  return field.items().map((item, i) => {
    const draft: VolumeDraft = { volume: {}, sources: [] };
    applyTable(item, VOLUME, draft);
    const name = draft.volume.name ?? item.require('name').string();
    if (seen.has(name)) item.get('name')!.fail(`duplicate volume name ${JSON.stringify(name)}`);
    seen.add(name);
    if (draft.sources.length === 0) item.fail('needs a source: emptyDir or hostPath');
    if (draft.sources.length > 1) draft.sources[1]!.fail(`a volume has one source, and this one already has ${draft.sources[0]!.key}`);
    item.origin(`volumes[${i}]`);
    return { value: draft.volume as VolumeSpec, field: item };
  });
}

// ---------------------------------------------------------------- pod

const SPEC: Table<k8s.PodSpec, PodDraft> = {
  containers: (f, d) => {
    d.containers = readContainers(f, 'containers');
  },
  initContainers: (f, d) => {
    d.initContainers = readContainers(f, 'initContainers');
  },
  volumes: (f, d) => {
    d.volumes = readVolumes(f);
  },
  hostname: (f, d) => {
    const hostname = f.string();
    const problem = dnsLabelProblem(hostname);
    if (problem) f.fail(`${JSON.stringify(hostname)} ${problem}`);
    d.spec.hostname = hostname;
    f.origin('hostname');
  },
  shareProcessNamespace: (f, d) => {
    d.spec.shareProcessNamespace = f.boolean();
  },
  hostNetwork: (f, d) => {
    d.spec.hostNetwork = f.boolean();
    d.hostNetwork = f;
  },
  restartPolicy: (f, d) => {
    const policy = f.string();
    if (policy !== 'Always' && policy !== 'OnFailure' && policy !== 'Never')
      return f.fail(`${JSON.stringify(policy)} must be Always, OnFailure or Never`);
    d.spec.restartPolicy = policy;
    f.origin('restartPolicy');
  },
  terminationGracePeriodSeconds: (f, d) => {
    d.spec.terminationGracePeriodSeconds = f.integer(0);
    f.origin('terminationGracePeriodSeconds');
  },
  securityContext: (f, d) => applyTable(f, POD_SECURITY, d),
  os: (f) => {
    const name = f.require('name');
    if (name.string() !== 'linux') name.fail(`${JSON.stringify(name.string())} is not supported: pods here run on linux`);
  },
  hostIPC: onlyDefault(false),
  hostPID: onlyDefault(false),
  hostUsers: onlyDefault(true),
  setHostnameAsFQDN: onlyDefault(false),
  activeDeadlineSeconds: UNSUPPORTED,
  dnsConfig: UNSUPPORTED,
  hostAliases: UNSUPPORTED,
  ephemeralContainers: UNSUPPORTED,
  resourceClaims: UNSUPPORTED,
  resources: unsupported('give each container its resources'),
  runtimeClassName: UNSUPPORTED,
  subdomain: UNSUPPORTED,
  dnsPolicy: ignored('there is no cluster DNS here'),
  enableServiceLinks: ignored('there are no services here'),
  automountServiceAccountToken: NO_ACCOUNTS,
  serviceAccount: NO_ACCOUNTS,
  serviceAccountName: NO_ACCOUNTS,
  imagePullSecrets: ignored("registry credentials come from skopeo's own configuration here"),
  affinity: NO_SCHEDULER,
  nodeName: NO_SCHEDULER,
  nodeSelector: NO_SCHEDULER,
  overhead: ONE_HOST,
  preemptionPolicy: NO_SCHEDULER,
  priority: NO_SCHEDULER,
  priorityClassName: NO_SCHEDULER,
  readinessGates: ONE_HOST,
  schedulerName: NO_SCHEDULER,
  schedulingGates: NO_SCHEDULER,
  tolerations: NO_SCHEDULER,
  topologySpreadConstraints: NO_SCHEDULER,
};

const POD: Table<k8s.Pod, PodDraft> = {
  apiVersion: () => {}, // checked first, in podFromDocument
  kind: () => {},
  metadata: (f, d) => {
    d.metadata = f;
    applyTable(f, METADATA, d);
  },
  spec: (f, d) => applyTable(f, SPEC, d),
  status: SERVER_SET,
};

/** Converts one document's root into a PodSpec; every error names the manifest field and its line. */
export function podFromDocument(root: Field): PodSpec {
  if (!root.isMap) root.fail('a manifest document must be a map (apiVersion: v1, kind: Pod, ...)');
  const apiVersion = root.require('apiVersion');
  if (apiVersion.scalar('a string') !== 'v1')
    apiVersion.fail(`${JSON.stringify(apiVersion.scalar('a string'))} is not supported: nspod reads apiVersion v1`);
  const kind = root.require('kind');
  if (kind.scalar('a string') !== 'Pod') kind.fail(`${JSON.stringify(kind.scalar('a string'))} is not supported: nspod reads kind Pod`);

  const draft: PodDraft = { root, spec: {}, volumes: [], security: {} };
  applyTable(root, POD, draft);
  const metadata = root.require('metadata');
  if (draft.spec.name === undefined) metadata.require('name');
  const spec = root.require('spec');
  const containers = draft.containers ?? [];
  if (containers.length === 0)
    (spec.get('containers') ?? spec).fail('a pod needs at least one container', 'list them under spec.containers');
  const initContainers = draft.initContainers ?? [];
  if (draft.network && draft.spec.hostNetwork)
    draft.network.fail('conflicts with spec.hostNetwork: true (a pod on the host network has no network of its own)');

  const volumeNames = new Set(draft.volumes.map((v) => v.value.name));
  const containerNames = new Set<string>();
  const hostPorts = new Map<string, Field>();
  for (const c of [...initContainers, ...containers]) {
    if (containerNames.has(c.spec.name!)) c.field.get('name')!.fail(`duplicate container name ${JSON.stringify(c.spec.name)}`);
    containerNames.add(c.spec.name!);
    checkMounts(c, volumeNames);
    checkPorts(c, draft, hostPorts);
  }

  const pod: PodSpec = { ...draft.spec, name: draft.spec.name!, containers: containers.map((c) => finishContainer(c, draft)) };
  if (draft.initContainers !== undefined) pod.initContainers = initContainers.map((c) => finishContainer(c, draft));
  if (draft.volumes.length > 0) pod.volumes = draft.volumes.map((v) => v.value);
  return pod;
}

function checkMounts(c: ContainerDraft, volumeNames: Set<string>): void {
  const paths = new Set<string>();
  for (const [k, { value: mount, field }] of c.mounts.entries()) {
    if (!volumeNames.has(mount.name)) field.get('name')!.fail(`no volume named ${JSON.stringify(mount.name)} in spec.volumes`);
    if (paths.has(mount.mountPath)) field.get('mountPath')!.fail(`duplicate mountPath ${JSON.stringify(mount.mountPath)}`);
    paths.add(mount.mountPath);
    field.origin(`${c.specPath}.volumeMounts[${k}]`);
  }
}

function checkPorts(c: ContainerDraft, draft: PodDraft, hostPorts: Map<string, Field>): void {
  const names = new Set<string>();
  for (const [k, { value: port, field }] of c.ports.entries()) {
    field.origin(`${c.specPath}.ports[${k}]`);
    if (port.name !== undefined) {
      if (names.has(port.name)) field.get('name')!.fail(`duplicate port name ${JSON.stringify(port.name)}`);
      names.add(port.name);
    }
    if (draft.spec.hostNetwork && port.hostPort !== undefined && port.hostPort !== port.containerPort) {
      field.get('hostPort')!.fail(`must equal containerPort (${port.containerPort}) on the host network`);
    }
    if (port.hostPort === undefined) continue;
    const key = `${port.hostIP ?? '0.0.0.0'}:${port.hostPort}/${port.protocol ?? 'TCP'}`;
    const first = hostPorts.get(key);
    if (first) field.get('hostPort')!.fail(`host port ${key} is already taken by ${first.path} (line ${first.line})`);
    hostPorts.set(key, field);
  }
}

function finishContainer(c: ContainerDraft, pod: PodDraft): ContainerSpec {
  const spec = { ...c.spec } as ContainerSpec;
  const uid = c.security.runAsUser ?? pod.security.runAsUser;
  const gid = c.security.runAsGroup ?? pod.security.runAsGroup;
  const nonRoot = c.security.runAsNonRoot ?? pod.security.runAsNonRoot;
  if (gid && !uid) gid.field.fail("needs runAsUser too: nspod does not read an image's user");
  if (nonRoot?.value && (uid === undefined || uid.value === 0)) {
    nonRoot.field.fail(
      uid
        ? `contradicts runAsUser: 0 (line ${uid.field.line})`
        : "needs runAsUser: nspod does not read an image's user, so it would run as root",
    );
  }
  if (uid) {
    spec.user = gid ? { uid: uid.value, gid: gid.value } : { uid: uid.value };
    uid.field.origin(`${c.specPath}.user.uid`);
    gid?.field.origin(`${c.specPath}.user.gid`);
  }
  const resources = finishResources(c);
  if (resources) spec.resources = resources;
  if (c.mounts.length > 0) spec.volumeMounts = c.mounts.map((m) => m.value);
  if (c.ports.length > 0) spec.ports = c.ports.map((p) => p.value as PortSpec);
  for (const p of c.probes) spec[p.kind] = finishProbe(p, c);
  return spec;
}

/** Resolves a named port to the number of the container's port of that name, as the kubelet does. */
function finishProbe(d: ProbeDraft, c: ContainerDraft): Probe {
  if (c.specPath.startsWith('initContainers')) d.field.fail('init containers have no probes');
  if (!d.portField) return d.probe;
  const name = d.portField.string();
  const port = c.ports.find((p) => p.value.name === name)?.value.containerPort;
  if (port === undefined) {
    const names = c.ports.map((p) => p.value.name).filter(Boolean);
    d.portField.fail(
      `no port named ${JSON.stringify(name)} in this container's ports`,
      names.length > 0 ? `its named ports: ${names.join(', ')}` : 'name one under ports, or give the number',
    );
  }
  if (d.probe.httpGet) return { ...d.probe, httpGet: { ...d.probe.httpGet, port: port! } };
  return { ...d.probe, tcpSocket: { port: port! } };
}

function finishResources(c: ContainerDraft): ContainerSpec['resources'] {
  const { limits, requests } = c;
  const out: NonNullable<ContainerSpec['resources']> = {};
  for (const name of ['cpu', 'memory'] as const) {
    const limit = limits[name];
    const request = requests[name];
    if (limit && quantityMillis(limit.value) === 0n) limit.field.fail('must be greater than zero');
    if (limit && request && quantityMillis(request.value) > quantityMillis(limit.value)) {
      request.field.fail(`must not exceed limits.${name} (line ${limit.field.line})`);
    }
  }
  if (limits.memory) {
    out.memoryBytes = toSafeNumber(quantityBytes(limits.memory.value), limits.memory.field);
    limits.memory.field.origin(`${c.specPath}.resources.memoryBytes`);
  }
  if (limits.cpu) {
    out.cpu = toSafeNumber(quantityMillis(limits.cpu.value), limits.cpu.field) / 1000;
    limits.cpu.field.origin(`${c.specPath}.resources.cpu`);
  }
  // Kubernetes defaults a request to its limit.
  const cpuRequest = requests.cpu ?? limits.cpu;
  if (cpuRequest) {
    out.cpuShares = milliCpuToShares(quantityMillis(cpuRequest.value));
    cpuRequest.field.origin(`${c.specPath}.resources.cpuShares`);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function toSafeNumber(n: bigint, field: Field): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) field.fail('is too large');
  return Number(n);
}
