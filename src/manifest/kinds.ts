/**
 * The kinds of document nspod reads: Pods; ConfigMaps and Secrets; and the workloads (Deployment, ReplicaSet,
 * StatefulSet, DaemonSet, Job), whose pod template runs as one pod, as podman kube play does. Any other kind is skipped
 * with a warning naming it. Each kind is a rule table, as a Pod's fields are.
 */
import type * as apps from 'kubernetes-types/apps/v1.js';
import type * as batch from 'kubernetes-types/batch/v1.js';
import type * as k8s from 'kubernetes-types/core/v1.js';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { configKeyProblem } from '../spec/names.js';
import type { ConfigMapObject, ConfigObject, SecretObject } from '../spec/config.js';
import type { PodSpec } from '../spec/spec.js';
import type { Field } from './field.js';
import { podFromDocument, podFromTemplate } from './pod.js';
import {
  applyTable,
  ignored,
  onlyDefault,
  OTHER_METADATA,
  SERVER_SET,
  unsupported,
  UNSUPPORTED,
  type Handler,
  type Table,
} from './table.js';

/** What one document is: a pod to run, an object to store, or a kind nspod skips. */
export type ReadDocument = { pod: PodSpec; kind: string } | { object: ConfigObject } | { skipped: string };

/** The API group/version of each kind nspod reads. */
const API_VERSIONS: Record<string, string> = {
  Pod: 'v1',
  ConfigMap: 'v1',
  Secret: 'v1',
  Deployment: 'apps/v1',
  ReplicaSet: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  Job: 'batch/v1',
};

/** The metadata of an object that is not a pod: its name, and the rest accepted. */
interface ObjectDraft {
  name?: string;
  labels?: Record<string, string>;
}

const OBJECT_METADATA: Table<ObjectMeta, ObjectDraft> = {
  name: (f, d) => {
    d.name = f.string();
  },
  labels: (f, d) => {
    d.labels = f.stringMap();
  },
  annotations: (f) => void f.stringMap(),
  ...OTHER_METADATA,
};

function objectName(root: Field, draft: ObjectDraft): string {
  if (draft.name === undefined) root.require('metadata').require('name');
  return draft.name!;
}

/** A map of config keys (data, binaryData, stringData), each key checked with its line; `base64` ones checked to be base64. */
function configData(f: Field, base64: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of f.entries()) {
    const problem = configKeyProblem(entry.key);
    if (problem) entry.fail(`invalid key: ${problem}`);
    const value = entry.isNull ? '' : entry.string();
    if (base64 && !/^[A-Za-z0-9+/\s]*={0,2}$/.test(value)) entry.fail('is not base64', 'put plain text under stringData');
    out[entry.key] = base64 ? value.replace(/\s/g, '') : value;
  }
  return out;
}

type ConfigMapDraft = ObjectDraft & { object: Partial<ConfigMapObject> };

const CONFIG_MAP: Table<k8s.ConfigMap, ConfigMapDraft> = {
  apiVersion: () => {},
  kind: () => {},
  metadata: (f, d) => applyTable(f, OBJECT_METADATA, d),
  data: (f, d) => {
    d.object.data = configData(f, false);
  },
  binaryData: (f, d) => {
    d.object.binaryData = configData(f, true);
  },
  immutable: (f, d) => {
    d.object.immutable = f.boolean();
  },
};

type SecretDraft = ObjectDraft & { object: Partial<SecretObject>; stringData?: Record<string, string> };

const SECRET: Table<k8s.Secret, SecretDraft> = {
  apiVersion: () => {},
  kind: () => {},
  metadata: (f, d) => applyTable(f, OBJECT_METADATA, d),
  type: (f, d) => {
    d.object.type = f.string();
  },
  data: (f, d) => {
    d.object.data = configData(f, true);
  },
  stringData: (f, d) => {
    d.stringData = configData(f, false);
  },
  immutable: (f, d) => {
    d.object.immutable = f.boolean();
  },
};

/** The name of a workload's one pod: the workload's, or `<name>-0` for a StatefulSet (its first ordinal, as Kubernetes names it). */
export function workloadPodName(kind: string, name: string): string {
  return kind === 'StatefulSet' ? `${name}-0` : name;
}

interface WorkloadDraft extends ObjectDraft {
  kind: string;
  template?: Field;
  /** A Job's: its pod's failed containers are started again up to this many times (Kubernetes' default is 6). */
  backoffLimit?: number;
  /** A Job's: with its one pod, the pod's deadline (the shorter of the two when its template has one too). */
  activeDeadlineSeconds?: number;
}

const WORKLOAD_METADATA: Table<ObjectMeta, WorkloadDraft> = {
  ...OBJECT_METADATA,
  labels: ignored("the workload's own labels: its pod has the template's"),
  annotations: ignored("the workload's own annotations: its pod has the template's"),
};

/** `replicas`, `completions` or `parallelism`: one pod runs here, whatever the count. */
const onePod: Handler<WorkloadDraft> = (f, d) => {
  const n = f.integer(0);
  if (n > 1) f.warn(`${d.kind} asks for ${n}: nspod runs one pod for it`);
  if (n === 0) f.warn(`${d.kind} asks for 0: nspod runs one pod for it all the same`);
};

const NO_CONTROLLER = ignored('there is no controller here: the template runs as one pod');
const template: Handler<WorkloadDraft> = (f, d) => {
  d.template = f;
};

const DEPLOYMENT: Table<apps.DeploymentSpec, WorkloadDraft> = {
  replicas: onePod,
  selector: NO_CONTROLLER,
  template,
  strategy: NO_CONTROLLER,
  minReadySeconds: NO_CONTROLLER,
  revisionHistoryLimit: NO_CONTROLLER,
  progressDeadlineSeconds: NO_CONTROLLER,
  paused: onlyDefault(false),
};

const REPLICA_SET: Table<apps.ReplicaSetSpec, WorkloadDraft> = {
  replicas: onePod,
  selector: NO_CONTROLLER,
  template,
  minReadySeconds: NO_CONTROLLER,
};

const STATEFUL_SET: Table<apps.StatefulSetSpec, WorkloadDraft> = {
  replicas: onePod,
  selector: NO_CONTROLLER,
  template,
  serviceName: ignored('there are no services here'),
  volumeClaimTemplates: unsupported('there are no PersistentVolumeClaims here: use an emptyDir or a hostPath'),
  podManagementPolicy: NO_CONTROLLER,
  updateStrategy: NO_CONTROLLER,
  revisionHistoryLimit: NO_CONTROLLER,
  minReadySeconds: NO_CONTROLLER,
  persistentVolumeClaimRetentionPolicy: NO_CONTROLLER,
  ordinals: unsupported('the one pod here is ordinal 0'),
};

const DAEMON_SET: Table<apps.DaemonSetSpec, WorkloadDraft> = {
  selector: NO_CONTROLLER,
  template,
  updateStrategy: NO_CONTROLLER,
  minReadySeconds: NO_CONTROLLER,
  revisionHistoryLimit: NO_CONTROLLER,
};

const JOB: Table<batch.JobSpec, WorkloadDraft> = {
  template,
  backoffLimit: (f, d) => {
    d.backoffLimit = f.integer(0);
    f.origin('backoffLimit');
  },
  completions: onePod,
  parallelism: onePod,
  selector: NO_CONTROLLER,
  manualSelector: NO_CONTROLLER,
  ttlSecondsAfterFinished: ignored('a finished Job pod stays until nspod rm or nspod down'),
  podReplacementPolicy: NO_CONTROLLER,
  managedBy: NO_CONTROLLER,
  completionMode: onlyDefault('NonIndexed'),
  suspend: onlyDefault(false),
  activeDeadlineSeconds: (f, d) => {
    d.activeDeadlineSeconds = f.integer(1);
    f.origin('activeDeadlineSeconds');
  },
  podFailurePolicy: UNSUPPORTED,
  backoffLimitPerIndex: UNSUPPORTED,
  maxFailedIndexes: UNSUPPORTED,
  successPolicy: UNSUPPORTED,
};

const WORKLOAD_SPECS: Record<string, Table<unknown, WorkloadDraft>> = {
  Deployment: DEPLOYMENT,
  ReplicaSet: REPLICA_SET,
  StatefulSet: STATEFUL_SET,
  DaemonSet: DAEMON_SET,
  Job: JOB,
};

/** Kubernetes' default backoffLimit of a Job. */
export const JOB_BACKOFF_LIMIT = 6;

function workload(root: Field, kind: string): PodSpec {
  const draft: WorkloadDraft = { kind };
  const table: Table<unknown, WorkloadDraft> = {
    apiVersion: () => {},
    kind: () => {},
    metadata: (f, d) => applyTable(f, WORKLOAD_METADATA, d),
    spec: (f, d) => applyTable(f, WORKLOAD_SPECS[kind]!, d),
    status: SERVER_SET,
  };
  applyTable(root, table, draft);
  const name = objectName(root, draft);
  const spec = root.require('spec');
  const template = draft.template ?? spec.require('template');
  const pod = podFromTemplate(template, workloadPodName(kind, name), root.require('metadata').require('name'));
  if (kind === 'Job') {
    const restart = template.get('spec')?.get('restartPolicy');
    if (restart === undefined) template.require('spec').require('restartPolicy');
    pod.backoffLimit = draft.backoffLimit ?? JOB_BACKOFF_LIMIT;
    // The Job's deadline ends its one pod, as the Job controller ends the Job's pods (reason DeadlineExceeded).
    const deadlines = [draft.activeDeadlineSeconds, pod.activeDeadlineSeconds].filter((s) => s !== undefined);
    if (deadlines.length > 0) pod.activeDeadlineSeconds = Math.min(...deadlines);
  }
  return pod;
}

/** Reads one document by its kind; an unknown kind is skipped with the reason. */
export function readDocument(root: Field): ReadDocument {
  if (!root.isMap) root.fail('a manifest document must be a map (apiVersion: v1, kind: Pod, ...)');
  const kindField = root.require('kind');
  const kind = kindField.scalar('a string');
  const apiVersion = root.require('apiVersion');
  const version = apiVersion.scalar('a string');
  if (typeof kind !== 'string' || !Object.hasOwn(API_VERSIONS, kind)) {
    return {
      skipped: `${JSON.stringify(kind)} is skipped: nspod runs Pods, the pod templates of ${Object.keys(WORKLOAD_SPECS).join(', ')}, and stores ConfigMaps and Secrets`,
    };
  }
  if (version !== API_VERSIONS[kind])
    apiVersion.fail(`${JSON.stringify(version)} is not supported: nspod reads ${kind} of apiVersion ${API_VERSIONS[kind]}`);
  if (kind === 'Pod') return { pod: podFromDocument(root), kind };
  if (kind === 'ConfigMap') {
    const draft: ConfigMapDraft = { object: {} };
    applyTable(root, CONFIG_MAP, draft);
    const object: ConfigMapObject = { kind: 'ConfigMap', name: objectName(root, draft), ...draft.object };
    if (draft.labels) object.labels = draft.labels;
    return { object };
  }
  if (kind === 'Secret') {
    const draft: SecretDraft = { object: {} };
    applyTable(root, SECRET, draft);
    const object: SecretObject = { kind: 'Secret', name: objectName(root, draft), type: draft.object.type ?? 'Opaque', ...draft.object };
    // As the API server does: stringData is written into data, and wins over it.
    if (draft.stringData) {
      const encoded = Object.entries(draft.stringData).map(([k, v]) => [k, Buffer.from(v).toString('base64')]);
      object.data = { ...object.data, ...Object.fromEntries(encoded) };
    }
    if (draft.labels) object.labels = draft.labels;
    return { object };
  }
  return { pod: workload(root, kind), kind };
}
