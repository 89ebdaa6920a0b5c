/** Containers and init containers: image, command, env, ports, mounts; security, resources and probes have files of their own. */
import type * as k8s from 'kubernetes-types/core/v1.js';
import { fieldPath } from '../spec/names.js';
import type {
  ContainerRestartRule,
  ContainerSpec,
  EnvFromSource,
  RestartPolicy,
  EnvVarSource,
  KeySelector,
  PortSpec,
  ResourceFieldRef,
  VolumeMount,
} from '../spec/spec.js';
import type { Field } from './field.js';
import { parseQuantity } from './quantity.js';
import { finishProbe, probeRule, type ProbeDraft } from './probe.js';
import { readLifecycle } from './lifecycle.js';
import { containerResources, RESOURCES, type ResourcesDraft } from './resources.js';
import { CONTAINER_SECURITY, containerUser, type SecurityDraft } from './security.js';
import {
  applyTable,
  copier,
  ignored,
  ONE_HOST,
  onlyDefault,
  read,
  readList,
  readObject,
  unsupported,
  UNSUPPORTED,
  type Draft,
  type Table,
  type Valued,
} from './table.js';

export interface ContainerDraft extends Draft<ContainerSpec> {
  field: Field;
  /** `containers[0]` or `initContainers[1]`: its path in the PodSpec. */
  at: string;
  security: SecurityDraft;
  resources: ResourcesDraft;
  /** With their fields: the pod checks hostPorts across containers. */
  ports: Valued<PortSpec>[];
  probes: ProbeDraft[];
  /** `lifecycle.stopSignal`'s field: the pod checks that spec.os is given. */
  stopSignal?: Field;
}

interface EnvDraft {
  name?: Field;
  value: string;
  valueFrom?: { field: Field; source: EnvVarSource };
}

const keySelector = copier<KeySelector>();
const KEY_SELECTOR: Table<k8s.ConfigMapKeySelector, Draft<KeySelector>> = {
  name: keySelector('name', read.string),
  key: keySelector('key', read.string),
  optional: keySelector('optional', read.boolean),
};

/** A quantity as a plain number of its unit (cores, bytes): `1m` is 0.001, `1Mi` 1048576. */
export function quantityNumber(f: Field): number {
  const q = parseQuantity(f.scalar('a quantity'));
  if (typeof q === 'string') return f.fail(q);
  return Number(q.numerator) / Number(q.denominator);
}

const resourceField = copier<ResourceFieldRef>();
export const RESOURCE_FIELD_REF: Table<k8s.ResourceFieldSelector, Draft<ResourceFieldRef>> = {
  resource: resourceField('resource', read.string),
  containerName: resourceField('containerName', read.string),
  divisor: resourceField('divisor', quantityNumber),
};

const fieldRef = copier<NonNullable<EnvVarSource['fieldRef']>>();
export const FIELD_REF: Table<k8s.ObjectFieldSelector, Draft<NonNullable<EnvVarSource['fieldRef']>>> = {
  fieldPath: fieldRef('fieldPath', read.string),
  apiVersion: fieldRef('apiVersion', read.string),
};

const source = copier<EnvVarSource>();
const ENV_VAR_SOURCE: Table<k8s.EnvVarSource, Draft<EnvVarSource>> = {
  configMapKeyRef: source('configMapKeyRef', (f) => readObject(f, KEY_SELECTOR, ['name', 'key'])),
  secretKeyRef: source('secretKeyRef', (f) => readObject(f, KEY_SELECTOR, ['name', 'key'])),
  fieldRef: source('fieldRef', (f) => readObject(f, FIELD_REF, ['fieldPath'])),
  resourceFieldRef: source('resourceFieldRef', (f) => readObject(f, RESOURCE_FIELD_REF, ['resource'])),
  fileKeyRef: unsupported('nspod does not read variables from files of a volume: use a configMapKeyRef or secretKeyRef'),
};

const ENV_VAR: Table<k8s.EnvVar, EnvDraft> = {
  name: (f, d) => {
    f.string();
    d.name = f;
  },
  value: (f, d) => {
    d.value = f.string();
  },
  valueFrom: (f, d) => {
    d.valueFrom = { field: f, source: readObject(f, ENV_VAR_SOURCE) };
  },
};

/** The env list as the PodSpec's map, in order: a literal value or a source; a later entry of one name wins, as in Kubernetes. */
function readEnv(field: Field, at: string): Record<string, string | EnvVarSource> {
  const env: Record<string, string | EnvVarSource> = {};
  for (const item of field.items()) {
    const draft: EnvDraft = { value: '' };
    applyTable(item, ENV_VAR, draft);
    const name = (draft.name ?? item.require('name')).string();
    if (draft.valueFrom && draft.value !== '') draft.valueFrom.field.fail('may not be given when value is not empty');
    // Deleted first, so that the later entry takes its place in the order too.
    delete env[name];
    env[name] = draft.valueFrom ? draft.valueFrom.source : draft.value;
    draft.name?.origin(fieldPath(`${at}.env`, name));
    draft.valueFrom?.field.mirror(fieldPath(`${at}.env`, name));
  }
  return env;
}

const refCopy = copier<{ name: string; optional?: boolean }>();
const ENV_REF: Table<k8s.ConfigMapEnvSource, Draft<{ name: string; optional?: boolean }>> = {
  name: refCopy('name', read.string),
  optional: refCopy('optional', read.boolean),
};

const envFrom = copier<EnvFromSource>();
const ENV_FROM: Table<k8s.EnvFromSource, Draft<EnvFromSource>> = {
  configMapRef: envFrom('configMapRef', (f) => readObject(f, ENV_REF, ['name'])),
  secretRef: envFrom('secretRef', (f) => readObject(f, ENV_REF, ['name'])),
  prefix: envFrom('prefix', read.string),
};

const port = copier<PortSpec>();

const PORT: Table<k8s.ContainerPort, Draft<PortSpec>> = {
  containerPort: port('containerPort', read.integer),
  hostPort: (f, d) => {
    // Kubernetes reads 0 as no hostPort (the field's zero value); nspod's any-free-port is the publish-all annotation.
    const n = read.integer(f);
    if (n === 0)
      f.warn(
        '0 is no hostPort in Kubernetes: the port is not published (annotation nspod.io/publish-all: "true" publishes it on a free one)',
      );
    else d.spec.hostPort = n;
  },
  protocol: port('protocol', (f) => f.string() as PortSpec['protocol']),
  hostIP: port('hostIP', read.string),
  name: port('name', read.string),
};

const mount = copier<VolumeMount>();

const VOLUME_MOUNT: Table<k8s.VolumeMount, Draft<VolumeMount>> = {
  name: mount('name', read.string),
  mountPath: mount('mountPath', read.string),
  readOnly: mount('readOnly', read.boolean),
  mountPropagation: onlyDefault('None'),
  recursiveReadOnly: mount('recursiveReadOnly', (f) => f.string() as VolumeMount['recursiveReadOnly']),
  subPath: mount('subPath', read.string),
  subPathExpr: mount('subPathExpr', read.string),
};

type RestartRuleCodes = ContainerRestartRule['exitCodes'];
const codes = copier<RestartRuleCodes>();
const RESTART_RULE_CODES: Table<RestartRuleCodes, Draft<RestartRuleCodes>> = {
  operator: codes('operator', (f) => f.string() as RestartRuleCodes['operator']),
  values: codes('values', (f) => f.items().map((item) => item.integer())),
};

const rule = copier<ContainerRestartRule>();
const RESTART_RULE: Table<ContainerRestartRule, Draft<ContainerRestartRule>> = {
  action: rule('action', (f) => f.string() as ContainerRestartRule['action']),
  exitCodes: rule('exitCodes', (f) => readObject(f, RESTART_RULE_CODES, ['operator'])),
};

const copy = copier<ContainerSpec>();

const CONTAINER: Table<k8s.Container, ContainerDraft> = {
  name: copy('name', read.string),
  image: copy('image', read.string),
  command: copy('command', read.strings),
  args: copy('args', read.strings),
  workingDir: copy('workingDir', read.string),
  env: (f, d) => {
    d.spec.env = readEnv(f, d.at);
  },
  ports: (f, d) => {
    d.ports = readList(f, PORT, ['containerPort']);
  },
  resources: (f, d) => applyTable(f, RESOURCES, d.resources),
  securityContext: (f, d) => {
    applyTable(f, CONTAINER_SECURITY, d);
    f.mirror(d.at);
  },
  volumeMounts: (f, d) => {
    const mounts = readList(f, VOLUME_MOUNT, ['name', 'mountPath']).map((m) => m.value);
    if (mounts.length > 0) d.spec.volumeMounts = mounts;
  },
  livenessProbe: probeRule('livenessProbe'),
  readinessProbe: probeRule('readinessProbe'),
  startupProbe: probeRule('startupProbe'),
  lifecycle: (f, d) => {
    const { lifecycle, stopSignal } = readLifecycle(f);
    d.spec.lifecycle = lifecycle;
    if (stopSignal) d.stopSignal = stopSignal;
  },
  envFrom: (f, d) => {
    const list = readList(f, ENV_FROM).map((e) => e.value);
    if (list.length > 0) d.spec.envFrom = list;
    f.mirror(`${d.at}.envFrom`);
  },
  volumeDevices: UNSUPPORTED,
  restartPolicy: copy('restartPolicy', (f) => f.string() as RestartPolicy),
  restartPolicyRules: copy('restartPolicyRules', (f) => readList(f, RESTART_RULE, ['action']).map((r) => r.value)),
  resizePolicy: ONE_HOST,
  imagePullPolicy: ignored('an image is pulled (skopeo) only when it is not in the cache yet'),
  terminationMessagePath: copy('terminationMessagePath', read.string),
  terminationMessagePolicy: copy('terminationMessagePolicy', (f) => f.string() as ContainerSpec['terminationMessagePolicy']),
  stdin: ignored('containers here have no attached stdin'),
  stdinOnce: ignored('containers here have no attached stdin'),
  tty: ignored('containers here have no terminal: use exec with tty'),
};

export function readContainers(field: Field, list: 'containers' | 'initContainers'): ContainerDraft[] {
  return field.items().map((item, i) => {
    const draft: ContainerDraft = {
      field: item,
      at: `${list}[${i}]`,
      spec: {},
      security: {},
      resources: { limits: {}, requests: {} },
      ports: [],
      probes: [],
    };
    applyTable(item, CONTAINER, draft);
    if (draft.spec.name === undefined) item.require('name');
    if (draft.spec.image === undefined) item.require('image');
    return draft;
  });
}

/** The container's PodSpec, once the pod's security context (its defaults) is read too. */
export function finishContainer(c: ContainerDraft, podSecurity: SecurityDraft): ContainerSpec {
  const spec = { ...c.spec } as ContainerSpec;
  Object.assign(spec, containerUser(c.security, podSecurity, c.at));
  const resources = containerResources(c.resources, c.at);
  if (resources) spec.resources = resources;
  if (c.ports.length > 0) spec.ports = c.ports.map((p) => p.value);
  for (const p of c.probes) spec[p.kind] = finishProbe(p, spec.ports ?? []);
  return spec;
}
