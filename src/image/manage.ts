/** The image cache as a user manages it: list, import a file under a name, remove, prune. */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { NspodError, errorMessage } from '../errors.js';
import { ImageCache, imageRootOf } from './cache.js';
import { detectCompression } from './extract.js';
import { progressReporter } from './progress.js';
import type { ImageSource } from './reference.js';
import { resolveSource, type ImageCacheOptions, type ResolveOptions, type ResolvedImage } from './resolve.js';

export interface CachedImage {
  /** A reference that resolved to this entry; '' when none is left. */
  reference: string;
  digest: string;
  /** Bytes of regular files in the unpacked rootfs. */
  size: number;
  lastUsed: Date | undefined;
}

/** One row per reference (and one per entry that no reference names any more). */
export async function listImages(options: ImageCacheOptions = {}): Promise<CachedImage[]> {
  const cache = new ImageCache(imageRootOf(options));
  const rows: CachedImage[] = [];
  const refs = await cache.refs();
  for (const digest of await cache.digests()) {
    const entry = await cache.entry(digest);
    if (!entry) continue;
    const lastUsed = await cache.lastUsed(digest);
    const names = refs
      .filter((r) => r.digest === digest)
      .map((r) => r.reference)
      .sort();
    for (const reference of names.length > 0 ? names : ['']) rows.push({ reference, digest, size: entry.size, lastUsed });
  }
  return rows.sort((a, b) => a.reference.localeCompare(b.reference) || a.digest.localeCompare(b.digest));
}

/** What kind of archive a file is, from its entries: an OCI layout, a docker save, or a rootfs. */
export async function archiveKind(file: string): Promise<'oci-archive' | 'docker-archive' | 'tar'> {
  const names = new Set<string>();
  const extractor = tarStream.extract();
  extractor.on('entry', (header, stream, next) => {
    names.add(header.name.replace(/^\.\//, ''));
    stream.on('end', () => next());
    stream.resume();
  });
  const gzip = (await detectCompression(file)) === 'gzip';
  try {
    await pipeline([createReadStream(file), ...(gzip ? [createGunzip()] : []), extractor as unknown as NodeJS.WritableStream]);
  } catch (e) {
    throw new NspodError('IMAGE_INVALID', `${file}: not a readable tarball: ${errorMessage(e)}`, {
      hint: 'give a rootfs tarball, an oci-archive or a docker-archive',
    });
  }
  if (names.has('oci-layout') && names.has('index.json')) return 'oci-archive';
  if (names.has('manifest.json') && !names.has('etc/') && !names.has('etc')) return 'docker-archive';
  return 'tar';
}

/** Unpacks a local archive (rootfs tarball, oci-archive, docker-archive) into the cache under the name `reference`. */
export async function importImage(reference: string, file: string, options: ResolveOptions = {}): Promise<ResolvedImage> {
  const abs = path.resolve(options.cwd ?? process.cwd(), file);
  const kind = await archiveKind(abs);
  const source: ImageSource =
    kind === 'tar'
      ? { kind: 'tar', path: abs }
      : kind === 'oci-archive'
        ? { kind: 'oci-archive', path: abs }
        : { kind: 'skopeo', source: `docker-archive:${abs}`, file: abs };
  const cache = new ImageCache(imageRootOf(options));
  const internal = `${kind}:${abs}`;
  const hadInternal = (await cache.ref(internal)) !== undefined;
  const resolved = await resolveSource(source, { reference: internal, cache, options, progress: progressReporter(options.progress) });
  await cache.saveRef({ reference, digest: resolved.digest! });
  if (!hadInternal) await cache.dropRef(internal); // the image is known by the name it was imported under
  return { ...resolved, reference };
}

export interface CacheRemoveOptions extends ImageCacheOptions {
  /** Who uses this rootfs (e.g. `pod web`), or undefined when nobody does: the pod layer knows, the image cache does not. */
  inUse: (rootfs: string) => string | undefined | Promise<string | undefined>;
}

/**
 * Removes a reference (or a `sha256:` digest). The unpacked rootfs goes with the last reference that names it,
 * unless a pod uses it: then nothing is removed and the error names the pod.
 */
export async function removeFromCache(reference: string, options: CacheRemoveOptions): Promise<{ removedEntry: boolean; digest: string }> {
  const cache = new ImageCache(imageRootOf(options));
  const refs = await cache.refs();
  const digest = /^sha256:[a-f0-9]{64}$/.test(reference) ? reference : refs.find((r) => r.reference === reference)?.digest;
  const known = digest !== undefined && ((await cache.entry(digest)) !== undefined || refs.some((r) => r.reference === reference));
  if (!digest || !known) {
    throw new NspodError('IMAGE_NOT_FOUND', `image ${JSON.stringify(reference)} is not in the image cache ${cache.root}`, {
      hint: 'listImages() shows what is cached',
    });
  }
  const naming = refs.filter((r) => r.digest === digest);
  const others = naming.filter((r) => r.reference !== reference);
  if (others.length > 0 && reference !== digest) {
    await cache.dropRef(reference);
    return { removedEntry: false, digest };
  }
  const user = await options.inUse(cache.rootfsOf(digest));
  if (user)
    throw new NspodError('IMAGE_IN_USE', `image ${JSON.stringify(reference)} (${digest.slice(0, 19)}) is in use by ${user}`, {
      hint: 'remove the pods that use it first',
    });
  await cache.removeEntry(digest);
  for (const r of naming) await cache.dropRef(r.reference);
  return { removedEntry: true, digest };
}

export interface CachePruneOptions extends CacheRemoveOptions {
  /** Keep entries used within this many milliseconds; default 0: every unused entry goes. */
  unusedForMs?: number | undefined;
}

/** Removes every cached image no pod uses (and not used within `unusedForMs`), their references, and crash leftovers. */
export async function pruneCache(options: CachePruneOptions): Promise<{ removed: string[]; freedBytes: number }> {
  const cache = new ImageCache(imageRootOf(options));
  const cutoff = Date.now() - (options.unusedForMs ?? 0);
  const refs = await cache.refs();
  const removed: string[] = [];
  let freedBytes = 0;
  for (const digest of await cache.digests()) {
    const entry = await cache.entry(digest);
    const lastUsed = await cache.lastUsed(digest);
    if (lastUsed && lastUsed.getTime() > cutoff) continue;
    if (await options.inUse(cache.rootfsOf(digest))) continue;
    await cache.removeEntry(digest);
    for (const r of refs.filter((x) => x.digest === digest)) await cache.dropRef(r.reference);
    removed.push(digest);
    freedBytes += entry?.size ?? 0;
  }
  for (const r of refs) if (!removed.includes(r.digest) && !(await cache.entry(r.digest))) await cache.dropRef(r.reference);
  await cache.pruneLeftovers();
  return { removed, freedBytes };
}
