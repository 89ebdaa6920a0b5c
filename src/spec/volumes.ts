/**
 * The files of the volumes Kubernetes projects (configMap, secret, downwardAPI, projected): which paths, modes and
 * bytes, from the objects and the pod's facts. Pure; src/pod/files.ts writes them in the kubelet's layout.
 */
import { DEFAULT_FILE_MODE, keyFiles, missingConfig, type ConfigKind, type KeyToPath, type ProjectedFile } from './config.js';
import { resolveFieldRef, resolveResourceFieldRef, type PodFacts } from './downward.js';
import type { ConfigLookup } from './env.js';
import type { DownwardAPIFile, PodSpec, VolumeSpec } from './spec.js';

/** Is the volume one of files nspod writes (and so has a layout to write)? */
export function isProjection(v: VolumeSpec): boolean {
  return v.configMap !== undefined || v.secret !== undefined || v.downwardAPI !== undefined || v.projected !== undefined;
}

/** Kubernetes keeps Secrets and projections off the disk: their volumes are a tmpfs. */
export function onTmpfs(v: VolumeSpec): boolean {
  return v.secret !== undefined || v.projected !== undefined || (v.emptyDir as { medium?: string } | undefined)?.medium === 'Memory';
}

function objectFiles(
  kind: ConfigKind,
  ref: { name: string; items?: KeyToPath[] | undefined; optional?: boolean | undefined },
  mode: number | undefined,
  lookup: ConfigLookup,
  where: string,
): ProjectedFile[] {
  const object = lookup(kind, ref.name);
  if (!object) {
    if (ref.optional) return [];
    throw missingConfig(kind, ref.name, undefined, where);
  }
  return keyFiles(object, ref.items, mode, ref.optional === true, where);
}

function downwardFiles(items: DownwardAPIFile[] | undefined, mode: number | undefined, pod: PodSpec, facts: PodFacts): ProjectedFile[] {
  const containers = [...(pod.initContainers ?? []), ...pod.containers];
  return (items ?? []).map((item) => {
    const value = item.fieldRef
      ? resolveFieldRef(item.fieldRef, facts)
      : resolveResourceFieldRef(
          item.resourceFieldRef!,
          containers.find((c) => c.name === item.resourceFieldRef!.containerName)!,
          facts,
        );
    return { path: item.path, mode: item.mode ?? mode ?? DEFAULT_FILE_MODE, content: Buffer.from(value) };
  });
}

/** The files of a projected volume (configMap, secret, downwardAPI, projected); throws CONFIG_NOT_FOUND for what it lacks. */
export function volumeFiles(v: VolumeSpec, pod: PodSpec, facts: PodFacts, lookup: ConfigLookup): ProjectedFile[] {
  const where = `volume ${v.name}`;
  if (v.configMap) return objectFiles('ConfigMap', v.configMap, v.configMap.defaultMode, lookup, where);
  if (v.secret) return objectFiles('Secret', { ...v.secret, name: v.secret.secretName }, v.secret.defaultMode, lookup, where);
  if (v.downwardAPI) return downwardFiles(v.downwardAPI.items, v.downwardAPI.defaultMode, pod, facts);
  const mode = v.projected?.defaultMode;
  return (v.projected?.sources ?? []).flatMap((s) => {
    if (s.configMap) return objectFiles('ConfigMap', s.configMap, mode, lookup, where);
    if (s.secret) return objectFiles('Secret', s.secret, mode, lookup, where);
    return downwardFiles(s.downwardAPI?.items, mode, pod, facts);
  });
}
