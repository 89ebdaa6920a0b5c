/**
 * The image cache seen from the pods: a pod's images resolved before anything of it is made, and
 * an image a pod of the state root uses is never removed.
 */
import { resolveStateRoot } from '../paths.js';
import { pruneCache, removeFromCache, type CachePruneOptions } from '../image/manage.js';
import { resolveImage, type ImageCacheOptions, type ResolveOptions } from '../image/resolve.js';
import type { ImageDefaults } from '../image/config.js';
import type { ContainerSpec, PodSpec } from '../spec/spec.js';
import { StateRoot } from './store.js';

/** A container of the pod with its image: the defaults the image gives it (applied at each start), and its rootfs (the overlay's lower dir). */
export interface RunnableContainer {
  container: ContainerSpec;
  defaults: ImageDefaults;
  lowerdir: string;
}

export interface PodImages {
  of: (c: ContainerSpec) => RunnableContainer;
  /** Image volume name → the image's cached rootfs. */
  volumes: Map<string, string>;
}

/** Resolves every image of the pod (each once: init containers', apps' and image volumes') into the cache. */
export async function resolvePodImages(spec: PodSpec, options: ResolveOptions): Promise<PodImages> {
  const images = new Map<string, { rootfs: string; defaults: ImageDefaults }>();
  const references = [...(spec.initContainers ?? []), ...spec.containers].map((c) => c.image);
  for (const v of spec.volumes ?? []) if (v.image) references.push(v.image.reference);
  for (const reference of references) {
    if (!images.has(reference)) images.set(reference, await resolveImage(reference, options));
  }
  const volumes = new Map((spec.volumes ?? []).flatMap((v) => (v.image ? [[v.name, images.get(v.image.reference)!.rootfs] as const] : [])));
  return {
    of: (c) => {
      const image = images.get(c.image)!;
      return { container: c, defaults: image.defaults, lowerdir: image.rootfs };
    },
    volumes,
  };
}

export interface RemoveOptions extends ImageCacheOptions {
  /** Whether a pod uses this rootfs; default: a pod of `stateRoot` has it as a container's lower dir. */
  inUse?: ((rootfs: string) => boolean | Promise<boolean>) | undefined;
  /** The pods' state root for the default check; default env NSPOD_ROOT, else /run/nspod. */
  stateRoot?: string | undefined;
}

export interface PruneOptions extends RemoveOptions {
  /** Keep entries used within this many milliseconds; default 0: every unused entry goes. */
  unusedForMs?: number | undefined;
}

/** Pods (by name) whose containers use `rootfs` as their lower dir. */
export async function podsUsing(rootfs: string, stateRoot?: string): Promise<string[]> {
  const store = new StateRoot(resolveStateRoot(stateRoot));
  const out: string[] = [];
  for (const name of await store.names()) {
    const record = await store.load(name).catch(() => undefined);
    if (record?.containers?.some((c) => c.lowerdir === rootfs)) out.push(name);
  }
  return out;
}

function inUse(options: RemoveOptions): (rootfs: string) => Promise<string | undefined> {
  const given = options.inUse;
  if (given) return async (rootfs) => ((await given(rootfs)) ? 'a pod' : undefined);
  return async (rootfs) => {
    const pods = await podsUsing(rootfs, options.stateRoot);
    return pods.length > 0 ? `pod ${pods.join(', pod ')}` : undefined;
  };
}

/**
 * Removes a reference (or a `sha256:` digest). The unpacked rootfs goes with the last reference that names it,
 * unless a pod uses it: then nothing is removed and the error (IMAGE_IN_USE) names the pod.
 */
export async function removeImage(reference: string, options: RemoveOptions = {}): Promise<{ removedEntry: boolean; digest: string }> {
  return await removeFromCache(reference, { imageRoot: options.imageRoot, inUse: inUse(options) });
}

/** Removes every cached image no pod uses (and not used within `unusedForMs`), their references, and crash leftovers. */
export async function pruneImages(options: PruneOptions = {}): Promise<{ removed: string[]; freedBytes: number }> {
  const prune: CachePruneOptions = { imageRoot: options.imageRoot, inUse: inUse(options), unusedForMs: options.unusedForMs };
  return await pruneCache(prune);
}
