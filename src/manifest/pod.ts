/**
 * One Kubernetes `v1 Pod` document → PodSpec: metadata, the pod's own fields, and the checks that need the whole pod
 * (hostPorts across containers). Every Kubernetes field has a rule in a table (src/manifest/table.ts).
 */
import type * as k8s from 'kubernetes-types/core/v1.js';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { CniPortMapping } from '../network/cni.js';
import { portMapping, portsCollide } from '../network/ports.js';
import type { PodSpec, RestartPolicy } from '../spec/spec.js';
import { finishContainer, readContainers, type ContainerDraft } from './container.js';
import type { Field } from './field.js';
import { POD_SECURITY, type SecurityDraft } from './security.js';
import {
  applyTable,
  copier,
  ignored,
  NO_ACCOUNTS,
  NO_SCHEDULER,
  ONE_HOST,
  onlyDefault,
  OTHER_METADATA,
  read,
  SERVER_SET,
  unsupported,
  UNSUPPORTED,
  type Table,
} from './table.js';
import { readVolumes } from './volume.js';

/** The annotation that picks the pod's network (`default`, `none` or a CNI conflist name). */
export const NETWORK_ANNOTATION = 'nspod.io/network';
/** `"true"`: every containerPort without a hostPort is published on a free host port (hostPort 0), like `docker run -P`. */
export const PUBLISH_ALL_ANNOTATION = 'nspod.io/publish-all';

interface PodDraft {
  spec: Partial<PodSpec>;
  containers?: ContainerDraft[];
  initContainers?: ContainerDraft[];
  security: SecurityDraft;
  /** The network annotation's field. */
  network?: Field;
  /** spec.os was given (Kubernetes allows lifecycle.stopSignal only then). */
  os?: boolean;
  /** The publish-all annotation's field, when it says "true". */
  publishAll?: Field;
}

function readAnnotations(field: Field, draft: PodDraft): Record<string, string> {
  const annotations = field.stringMap();
  for (const entry of field.entries()) {
    if (entry.key === NETWORK_ANNOTATION) {
      draft.network = entry;
      draft.spec.network = annotations[entry.key];
      entry.origin('network');
    } else if (entry.key === PUBLISH_ALL_ANNOTATION) {
      const value = annotations[entry.key];
      if (value !== 'true' && value !== 'false') entry.fail(`${JSON.stringify(value)} must be "true" or "false"`);
      if (value === 'true') draft.publishAll = entry;
    } else if (entry.key.startsWith('nspod.io/')) {
      entry.warn(
        `ignored: nspod knows no annotation ${JSON.stringify(entry.key)} (it knows ${NETWORK_ANNOTATION}, ${PUBLISH_ALL_ANNOTATION})`,
      );
    }
  }
  return annotations;
}

const METADATA: Table<ObjectMeta, PodDraft> = {
  name: (f, d) => {
    d.spec.name = f.string();
    f.origin('name');
  },
  labels: (f, d) => {
    d.spec.labels = f.stringMap();
    f.origin('labels').mirror('labels');
  },
  annotations: (f, d) => {
    d.spec.annotations = readAnnotations(f, d);
    f.origin('annotations').mirror('annotations');
  },
  ...OTHER_METADATA,
};

const copy = copier<PodSpec>();

/** Kept only for the downward API's spec.serviceAccountName. */
function serviceAccount(f: Field, d: PodDraft): void {
  d.spec.serviceAccountName = f.string();
  f.warn('ignored: there are no service accounts here (the downward API reports the name)');
}

const SPEC: Table<k8s.PodSpec, PodDraft> = {
  containers: (f, d) => {
    d.containers = readContainers(f, 'containers');
  },
  initContainers: (f, d) => {
    d.initContainers = readContainers(f, 'initContainers');
  },
  volumes: (f, d) => {
    const volumes = readVolumes(f);
    if (volumes.length > 0) d.spec.volumes = volumes;
  },
  hostname: copy('hostname', read.string),
  shareProcessNamespace: copy('shareProcessNamespace', read.boolean),
  hostNetwork: copy('hostNetwork', read.boolean),
  restartPolicy: copy('restartPolicy', (f) => f.string() as RestartPolicy),
  terminationGracePeriodSeconds: copy('terminationGracePeriodSeconds', read.integer),
  securityContext: (f, d) => applyTable(f, POD_SECURITY, d),
  os: (f, d) => {
    d.os = true;
    const name = f.require('name');
    if (name.string() !== 'linux') name.fail(`${JSON.stringify(name.string())} is not supported: pods here run on linux`);
  },
  hostIPC: onlyDefault(false),
  hostPID: onlyDefault(false),
  hostUsers: onlyDefault(true),
  setHostnameAsFQDN: onlyDefault(false),
  activeDeadlineSeconds: copy('activeDeadlineSeconds', read.integer),
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
  serviceAccount: serviceAccount,
  serviceAccountName: serviceAccount,
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

const readSpec = (f: Field, d: PodDraft) => {
  // Below spec, the PodSpec has the Kubernetes PodSpec's shape: a field is the origin of its namesake.
  f.mirror('');
  applyTable(f, SPEC, d);
};

const POD: Table<k8s.Pod, PodDraft> = {
  apiVersion: () => {}, // checked first, in src/manifest/kinds.ts
  kind: () => {},
  metadata: (f, d) => applyTable(f, METADATA, d),
  spec: readSpec,
  status: SERVER_SET,
};

/** A workload's pod template: its name is the workload's (Kubernetes generates one), its labels and annotations its own. */
const TEMPLATE: Table<k8s.PodTemplateSpec, PodDraft> = {
  metadata: (f, d) => applyTable(f, { ...METADATA, name: ignored('the pod is named after its workload') }, d),
  spec: readSpec,
};

/**
 * Converts one `kind: Pod` document's root into a PodSpec; an error names the manifest field and its line. The PodSpec's
 * values are not checked yet: the caller runs validatePodSpec and places its problems with `ctx.origins`.
 */
export function podFromDocument(root: Field): PodSpec {
  const draft: PodDraft = { spec: {}, security: {} };
  applyTable(root, POD, draft);
  const metadata = root.require('metadata');
  if (draft.spec.name === undefined) metadata.require('name');
  return finishPod(draft, root.require('spec'));
}

/** A workload's pod template (`spec.template`) as the PodSpec of the pod `name`, whose field is `nameField`. */
export function podFromTemplate(template: Field, name: string, nameField: Field): PodSpec {
  const draft: PodDraft = { spec: {}, security: {} };
  applyTable(template, TEMPLATE, draft);
  draft.spec.name = name;
  nameField.origin('name');
  return finishPod(draft, template.require('spec'));
}

function finishPod(draft: PodDraft, spec: Field): PodSpec {
  if (draft.containers === undefined) spec.origin('containers');
  if (draft.network && draft.spec.hostNetwork) {
    draft.network.fail('conflicts with spec.hostNetwork: true (a pod on the host network has no network of its own)');
  }
  if (draft.publishAll && draft.spec.hostNetwork) {
    draft.publishAll.fail("conflicts with spec.hostNetwork: true (its containerPorts are the host's ports already)");
  }
  const containers = draft.containers ?? [];
  const initContainers = draft.initContainers ?? [];
  if (draft.publishAll) publishAll(containers);
  checkHostPorts([...initContainers, ...containers], draft.spec.hostNetwork === true);
  const signal = [...initContainers, ...containers].find((c) => c.stopSignal)?.stopSignal;
  if (signal && !draft.os) signal.fail('can only be set for a pod with spec.os.name', 'add spec.os.name: linux, as Kubernetes asks');

  const pod: PodSpec = { ...draft.spec, name: draft.spec.name!, containers: containers.map((c) => finishContainer(c, draft.security)) };
  if (draft.initContainers !== undefined) pod.initContainers = initContainers.map((c) => finishContainer(c, draft.security));
  return pod;
}

/** The network's hostPort rules (src/network/ports.ts), said with the lines of both ports. */
function checkHostPorts(containers: ContainerDraft[], hostNetwork: boolean): void {
  const taken: { mapping: CniPortMapping; field: Field }[] = [];
  for (const { value: port, field } of containers.flatMap((c) => c.ports)) {
    if (port.hostPort === undefined || port.hostPort === 0) continue;
    const hostPort = field.get('hostPort')!;
    if (hostNetwork && port.hostPort !== port.containerPort)
      hostPort.fail(`must equal containerPort (${port.containerPort}) on the host network`);
    const mapping = portMapping({ ...port, hostPort: port.hostPort });
    const first = taken.find((t) => portsCollide(t.mapping, mapping));
    const key = `${port.hostIP ?? '0.0.0.0'}:${port.hostPort}/${port.protocol ?? 'TCP'}`;
    if (first) hostPort.fail(`host port ${key} is already taken by ${first.field.path} (line ${first.field.line})`);
    taken.push({ mapping, field });
  }
}

/** nspod.io/publish-all: every app containerPort without a hostPort gets hostPort 0 (any free port, chosen at create). */
function publishAll(containers: ContainerDraft[]): void {
  for (const { value: port } of containers.flatMap((c) => c.ports)) if (port.hostPort === undefined) port.hostPort = 0;
}
