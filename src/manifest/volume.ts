/** A pod's volumes: emptyDir, hostPath, configMap, secret, downwardAPI, projected and image. */
import type * as k8s from 'kubernetes-types/core/v1.js';
import type { KeyToPath } from '../spec/config.js';
import { HOST_PATH_TYPES, type DownwardAPIFile, type ProjectedSource, type VolumeSpec } from '../spec/spec.js';
import { FIELD_REF, quantityNumber, RESOURCE_FIELD_REF } from './container.js';
import type { Field } from './field.js';
import { copier, read, readList, readObject, unsupported, UNSUPPORTED, type Draft, type Table } from './table.js';

type EmptyDir = { medium?: string; sizeLimitBytes?: number };
type HostPath = NonNullable<VolumeSpec['hostPath']>;

/** A file mode as Kubernetes' YAML reads it: `0644` is octal (YAML 1.1), `420` decimal. */
export function fileMode(f: Field): number {
  const source = (f.node as { source?: unknown } | null)?.source;
  if (typeof source === 'string' && /^0[0-7]+$/.test(source)) return parseInt(source, 8);
  return f.integer();
}

const EMPTY_DIR: Table<k8s.EmptyDirVolumeSource, Draft<EmptyDir>> = {
  medium: (f, d) => {
    const medium = f.string();
    if (medium !== '') d.spec.medium = medium;
  },
  sizeLimit: (f, d) => {
    d.spec.sizeLimitBytes = Math.ceil(quantityNumber(f));
  },
};

const HOST_PATH: Table<k8s.HostPathVolumeSource, Draft<HostPath>> = {
  path: copier<HostPath>()('path', read.string),
  type: (f, d) => {
    const type = f.string();
    // The pod checks the type when it is made; a manifest's is refused now, with its line.
    if (!HOST_PATH_TYPES.includes(type))
      f.fail(`${JSON.stringify(type)} must be one of ${HOST_PATH_TYPES.filter(Boolean).join(', ')} or ""`);
    if (type !== '') d.spec.type = type;
  },
};

const keyToPath = copier<KeyToPath>();
const KEY_TO_PATH: Table<k8s.KeyToPath, Draft<KeyToPath>> = {
  key: keyToPath('key', read.string),
  path: keyToPath('path', read.string),
  mode: keyToPath('mode', fileMode),
};
const items = (f: Field) => readList(f, KEY_TO_PATH, ['key', 'path']).map((i) => i.value);

type ConfigMapVolume = NonNullable<VolumeSpec['configMap']>;
const configMap = copier<ConfigMapVolume>();
const CONFIG_MAP: Table<k8s.ConfigMapVolumeSource, Draft<ConfigMapVolume>> = {
  name: configMap('name', read.string),
  items: configMap('items', items),
  defaultMode: configMap('defaultMode', fileMode),
  optional: configMap('optional', read.boolean),
};

type SecretVolume = NonNullable<VolumeSpec['secret']>;
const secret = copier<SecretVolume>();
const SECRET: Table<k8s.SecretVolumeSource, Draft<SecretVolume>> = {
  secretName: secret('secretName', read.string),
  items: secret('items', items),
  defaultMode: secret('defaultMode', fileMode),
  optional: secret('optional', read.boolean),
};

const downwardFile = copier<DownwardAPIFile>();
const DOWNWARD_FILE: Table<k8s.DownwardAPIVolumeFile, Draft<DownwardAPIFile>> = {
  path: downwardFile('path', read.string),
  fieldRef: downwardFile('fieldRef', (f) => readObject(f, FIELD_REF, ['fieldPath'])),
  resourceFieldRef: downwardFile('resourceFieldRef', (f) => readObject(f, RESOURCE_FIELD_REF, ['resource'])),
  mode: downwardFile('mode', fileMode),
};
const downwardItems = (f: Field) => readList(f, DOWNWARD_FILE, ['path']).map((i) => i.value);

type DownwardVolume = NonNullable<VolumeSpec['downwardAPI']>;
const downward = copier<DownwardVolume>();
const DOWNWARD_API: Table<k8s.DownwardAPIVolumeSource, Draft<DownwardVolume>> = {
  items: downward('items', downwardItems),
  defaultMode: downward('defaultMode', fileMode),
};

type Projection<K extends 'configMap' | 'secret'> = NonNullable<ProjectedSource[K]>;
const projection = copier<Projection<'configMap'>>();
const CONFIG_MAP_PROJECTION: Table<k8s.ConfigMapProjection, Draft<Projection<'configMap'>>> = {
  name: projection('name', read.string),
  items: projection('items', items),
  optional: projection('optional', read.boolean),
};

const projectedSource = copier<ProjectedSource>();
const PROJECTED_SOURCE: Table<k8s.VolumeProjection, Draft<ProjectedSource>> = {
  configMap: projectedSource('configMap', (f) => readObject(f, CONFIG_MAP_PROJECTION, ['name'])),
  secret: projectedSource('secret', (f) => readObject(f, CONFIG_MAP_PROJECTION, ['name'])),
  downwardAPI: projectedSource('downwardAPI', (f) => ({ items: downwardItems(f.require('items')) })),
  serviceAccountToken: unsupported('there are no service accounts here, and so no tokens for them'),
  clusterTrustBundle: unsupported('there are no ClusterTrustBundles here: put the certificates in a ConfigMap'),
  podCertificate: unsupported('there is no certificate signer here: put the certificate in a Secret'),
};

type ProjectedVolume = NonNullable<VolumeSpec['projected']>;
const projected = copier<ProjectedVolume>();
const PROJECTED: Table<k8s.ProjectedVolumeSource, Draft<ProjectedVolume>> = {
  sources: projected('sources', (f) => readList(f, PROJECTED_SOURCE).map((s) => s.value)),
  defaultMode: projected('defaultMode', fileMode),
};

type ImageVolume = NonNullable<VolumeSpec['image']>;
const image = copier<ImageVolume>();
const IMAGE: Table<ImageVolume, Draft<ImageVolume>> = {
  reference: image('reference', read.string),
  pullPolicy: (f, d) => {
    d.spec.pullPolicy = f.string();
    f.warn('ignored: an image is pulled (skopeo) only when it is not in the cache yet');
  },
};

const VOLUME: Table<k8s.Volume, Draft<VolumeSpec>> = {
  name: copier<VolumeSpec>()('name', read.string),
  emptyDir: (f, d) => {
    d.spec.emptyDir = readObject(f, EMPTY_DIR);
  },
  hostPath: (f, d) => {
    d.spec.hostPath = readObject(f, HOST_PATH, ['path']);
  },
  configMap: (f, d) => {
    d.spec.configMap = readObject(f, CONFIG_MAP, ['name']);
  },
  secret: (f, d) => {
    d.spec.secret = readObject(f, SECRET, ['secretName']);
  },
  downwardAPI: (f, d) => {
    d.spec.downwardAPI = readObject(f, DOWNWARD_API);
  },
  projected: (f, d) => {
    d.spec.projected = readObject(f, PROJECTED, ['sources']);
  },
  image: (f, d) => {
    d.spec.image = readObject(f, IMAGE, ['reference']);
  },
  awsElasticBlockStore: UNSUPPORTED,
  azureDisk: UNSUPPORTED,
  azureFile: UNSUPPORTED,
  cephfs: UNSUPPORTED,
  cinder: UNSUPPORTED,
  csi: UNSUPPORTED,
  ephemeral: unsupported('there are no PersistentVolumeClaims here: use an emptyDir or a hostPath'),
  fc: UNSUPPORTED,
  flexVolume: UNSUPPORTED,
  flocker: UNSUPPORTED,
  gcePersistentDisk: UNSUPPORTED,
  gitRepo: unsupported('gitRepo is deprecated in Kubernetes: clone into an emptyDir from an init container'),
  glusterfs: UNSUPPORTED,
  iscsi: UNSUPPORTED,
  nfs: UNSUPPORTED,
  persistentVolumeClaim: unsupported('there are no PersistentVolumeClaims here: use an emptyDir or a hostPath'),
  photonPersistentDisk: UNSUPPORTED,
  portworxVolume: UNSUPPORTED,
  quobyte: UNSUPPORTED,
  rbd: UNSUPPORTED,
  scaleIO: UNSUPPORTED,
  storageos: UNSUPPORTED,
  vsphereVolume: UNSUPPORTED,
};

export function readVolumes(field: Field): VolumeSpec[] {
  return readList(field, VOLUME, ['name']).map((v) => v.value);
}
