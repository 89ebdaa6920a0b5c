/** A pod's volumes: emptyDir and hostPath. */
import type * as k8s from 'kubernetes-types/core/v1.js';
import { HOST_PATH_TYPES, type VolumeSpec } from '../spec/spec.js';
import type { Field } from './field.js';
import { copier, read, readList, readObject, UNSUPPORTED, type Draft, type Table } from './table.js';

type EmptyDir = { medium?: string };
type HostPath = NonNullable<VolumeSpec['hostPath']>;

const EMPTY_DIR: Table<k8s.EmptyDirVolumeSource, Draft<EmptyDir>> = {
  medium: (f, d) => {
    const medium = f.string();
    if (medium !== '') d.spec.medium = medium;
  },
  sizeLimit: UNSUPPORTED,
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

const VOLUME: Table<k8s.Volume, Draft<VolumeSpec>> = {
  name: copier<VolumeSpec>()('name', read.string),
  emptyDir: (f, d) => {
    d.spec.emptyDir = readObject(f, EMPTY_DIR);
  },
  hostPath: (f, d) => {
    d.spec.hostPath = readObject(f, HOST_PATH, ['path']);
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

export function readVolumes(field: Field): VolumeSpec[] {
  return readList(field, VOLUME, ['name']).map((v) => v.value);
}
