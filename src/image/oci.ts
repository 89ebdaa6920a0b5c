/**
 * OCI image layouts (what umoci and skopeo write): index.json → the manifest for
 * this host (through image indexes) → config and layers, every blob checked
 * against its digest.
 */
import { readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { NspodError } from '../errors.js';
import { hostPlatform, platformMatches, type Platform } from './reference.js';
import { imageDefaults, type ImageConfig, type ImageDefaults } from './config.js';

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

interface Index {
  schemaVersion?: number;
  manifests?: Descriptor[];
}

interface Manifest {
  schemaVersion?: number;
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

export interface ImageManifest {
  /** The manifest's digest: the image's identity, and its cache key. */
  digest: string;
  layers: Descriptor[];
  defaults: ImageDefaults;
  /** The image config's `User`, not yet resolved to numbers. */
  user?: string | undefined;
}

const REF_NAME = 'org.opencontainers.image.ref.name';
const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
const DIGEST = /^sha256:[a-f0-9]{64}$/;

function invalid(layout: string, why: string, hint = 'check the layout (umoci ls, skopeo inspect oci:DIR)'): NspodError {
  return new NspodError('IMAGE_INVALID', `OCI layout ${layout}: ${why}`, { hint });
}

/** The file of a blob, after checking the digest's form (it becomes a path). */
export function blobPath(layout: string, digest: string): string {
  if (!DIGEST.test(digest)) throw invalid(layout, `unsupported or malformed digest ${JSON.stringify(digest)}`);
  return path.join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

async function readJsonBlob<T>(layout: string, d: Descriptor, what: string): Promise<T> {
  let data: Buffer;
  try {
    data = await readFile(blobPath(layout, d.digest));
  } catch {
    throw invalid(layout, `${what} blob ${d.digest} is missing`);
  }
  const actual = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  if (actual !== d.digest)
    throw invalid(
      layout,
      `${what} blob ${d.digest}: digest mismatch (it hashes to ${actual})`,
      'the blob is corrupt: copy the image again',
    );
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch {
    throw invalid(layout, `${what} blob ${d.digest} is not JSON`);
  }
}

/** Picks the descriptor for a tag (or the only one) from index.json, then follows indexes to this host's platform. */
export function selectFromIndex(layout: string, manifests: Descriptor[], tag: string | undefined, host: Platform): Descriptor {
  if (manifests.length === 0) throw invalid(layout, 'index.json lists no manifests');
  const tags = manifests.map((m) => m.annotations?.[REF_NAME]).filter((t): t is string => t !== undefined);
  let candidates = manifests;
  if (tag !== undefined) {
    candidates = manifests.filter((m) => m.annotations?.[REF_NAME] === tag);
    if (candidates.length === 0) throw invalid(layout, `no tag ${JSON.stringify(tag)}`, `tags here: ${tags.join(', ') || 'none'}`);
  }
  if (candidates.length === 1) return candidates[0]!;
  const forHost = candidates.filter((m) => platformMatches(m.platform, host));
  if (forHost.length >= 1) return forHost[0]!;
  if (candidates.some((m) => m.platform))
    throw invalid(
      layout,
      `no manifest for ${host.os}/${host.architecture}`,
      `platforms here: ${candidates.map((m) => (m.platform ? `${m.platform.os}/${m.platform.architecture}` : '?')).join(', ')}`,
    );
  throw invalid(
    layout,
    `${candidates.length} manifests and no tag given`,
    `name one: oci:${layout}:TAG (tags here: ${tags.join(', ') || 'none'})`,
  );
}

/** Reads index.json and follows it to the image manifest for this host; returns its layers and the config's defaults. */
export async function readImageManifest(layout: string, tag: string | undefined, host: Platform = hostPlatform()): Promise<ImageManifest> {
  let index: Index;
  try {
    index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as Index;
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new NspodError(
      missing ? 'IMAGE_NOT_FOUND' : 'IMAGE_INVALID',
      `OCI layout ${layout}: ${missing ? 'no index.json' : 'index.json is not JSON'}`,
      { hint: 'give the directory that holds oci-layout, index.json and blobs/' },
    );
  }
  let descriptor = selectFromIndex(layout, index.manifests ?? [], tag, host);
  for (let depth = 0; ; depth++) {
    const doc = await readJsonBlob<Manifest>(layout, descriptor, 'manifest');
    const isIndex =
      INDEX_TYPES.has(descriptor.mediaType ?? '') ||
      INDEX_TYPES.has(doc.mediaType ?? '') ||
      (doc.manifests !== undefined && doc.layers === undefined);
    if (isIndex) {
      if (depth >= 4) throw invalid(layout, 'image indexes nest too deep');
      const forHost = (doc.manifests ?? []).filter((m) => platformMatches(m.platform, host));
      if (forHost.length === 0)
        throw invalid(
          layout,
          `image index ${descriptor.digest} has no manifest for ${host.os}/${host.architecture}`,
          `platforms here: ${(doc.manifests ?? []).map((m) => `${m.platform?.os}/${m.platform?.architecture}`).join(', ')}`,
        );
      descriptor = forHost[0]!;
      continue;
    }
    if (!doc.config || !Array.isArray(doc.layers)) throw invalid(layout, `manifest ${descriptor.digest} has no config or layers`);
    const config = await readJsonBlob<ImageConfig>(layout, doc.config, 'config');
    for (const layer of doc.layers) {
      try {
        const st = await stat(blobPath(layout, layer.digest));
        if (layer.size !== undefined && st.size !== layer.size)
          throw invalid(
            layout,
            `layer ${layer.digest} is truncated or corrupt: ${st.size} bytes where the manifest says ${layer.size}`,
            'the blob is truncated or corrupt: copy the image again',
          );
      } catch (e) {
        if (e instanceof NspodError) throw e;
        throw invalid(layout, `layer blob ${layer.digest} is missing`);
      }
    }
    return { digest: descriptor.digest, layers: doc.layers, defaults: imageDefaults(config), user: config.config?.User || undefined };
  }
}
