/**
 * `image:` references → a rootfs directory used read-only as the overlay's lower dir.
 *
 *   busybox                     the built-in toolbox
 *   DIR                         a rootfs directory, used as it is
 *   tar:PATH, *.tar|.tar.gz|.tgz a rootfs tarball            ┐
 *   oci:PATH[:TAG]              an OCI image layout          │ unpacked once per digest
 *   oci-archive:PATH[:TAG]      a tarball of a layout        │ into the image cache
 *   docker-archive:PATH, docker.io/library/nginx:1.27, …    │ (skopeo copies them to a
 *                               a layout first               ┘ layout first)
 */
import { lstat, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { execa } from 'execa';
import tarStream from 'tar-stream';
import { NspodError, errorMessage } from '../errors.js';
import { assets } from '../paths.js';
import { readJson } from '../pod/host.js';
import { ImageCache, imageRootOf } from './cache.js';
import { detectCompression, extractTarball, fileDigest } from './extract.js';
import { blobPath, readImageManifest } from './oci.js';
import { progressReporter, type ProgressReporter } from './progress.js';
import { numericUser, parseImageReference, TOOLBOX_IMAGE, type ImageSource } from './reference.js';

export { TOOLBOX_IMAGE } from './reference.js';

/** Defaults an image supplies to a container (from an OCI image config, when there is one). */
export interface ImageDefaults {
  entrypoint?: string[];
  cmd?: string[];
  env?: Record<string, string>;
  workingDir?: string;
  /** As resolved: numeric `uid:gid` (names already looked up in the image's /etc/passwd and /etc/group). */
  user?: string;
}

export interface ResolvedImage {
  /** The reference as written. */
  reference: string;
  /** A directory holding the rootfs: the overlay's read-only lower dir. */
  rootfs: string;
  defaults: ImageDefaults;
  /** The cache key (manifest digest, or the tarball's sha256); absent for plain directories. */
  digest?: string | undefined;
}

/** Reported once per cache entry actually unpacked (a cache hit reports nothing). */
export interface UnpackEvent {
  reference: string;
  digest: string;
  layers: number;
  /** Bytes read: the tarballs as stored. */
  bytes: number;
  ms: number;
}

export interface ImageCacheOptions {
  /** The image cache; default env NSPOD_IMAGE_ROOT, else /var/lib/nspod/images. */
  imageRoot?: string | undefined;
}

export interface ResolveOptions extends ImageCacheOptions {
  /** Relative paths are resolved against this directory (a manifest's own). */
  cwd?: string | undefined;
  /** Show unpack progress on stderr (bars on a TTY, one final line otherwise). Default false: the API is quiet. */
  progress?: boolean | undefined;
  /** Called after an image is unpacked into the cache. */
  onUnpack?: ((event: UnpackEvent) => void) | undefined;
  /** `missing` (default): a registry reference already cached is not fetched again. `always`: copy it again. */
  pull?: 'missing' | 'always' | undefined;
  /** skopeo binary; default env NSPOD_SKOPEO, else `skopeo` on PATH. */
  skopeo?: string | undefined;
}

interface Context {
  reference: string;
  cache: ImageCache;
  options: ResolveOptions;
  progress: ProgressReporter;
}

/** Resolves an `image:` reference to a rootfs directory, unpacking it into the cache the first time. */
export async function resolveImage(reference: string, options: ResolveOptions = {}): Promise<ResolvedImage> {
  const source = parseImageReference(reference, options.cwd ?? process.cwd());
  const ctx: Context = { reference, cache: new ImageCache(imageRootOf(options)), options, progress: progressReporter(options.progress) };
  return await resolveSource(source, ctx);
}

async function resolveSource(source: ImageSource, ctx: Context): Promise<ResolvedImage> {
  const { reference } = ctx;
  switch (source.kind) {
    case 'toolbox':
      await mustBeDirectory(assets.toolboxRootfs, reference, 'run scripts/setup to build the toolbox rootfs');
      return { reference, rootfs: assets.toolboxRootfs, defaults: {} };
    case 'dir': {
      if (await isDirectory(source.path)) return { reference, rootfs: source.path, defaults: {} };
      const named = await fromRef(ctx, undefined);
      if (named && (!source.registry || ctx.options.pull !== 'always')) return named;
      if (source.registry) return await resolveWithSkopeo(source.registry, undefined, ctx);
      throw new NspodError('IMAGE_NOT_FOUND', `image ${JSON.stringify(reference)}: no rootfs directory at ${source.path}`, {
        hint: 'give a rootfs directory, a tarball (tar:PATH), oci:PATH[:TAG], a registry reference, or "busybox" for the built-in toolbox',
      });
    }
    case 'tar':
      return await resolveTarball(source.path, ctx);
    case 'oci':
      return await resolveLayout(source.path, source.tag, ctx);
    case 'oci-archive':
      return await resolveOciArchive(source.path, source.tag, ctx);
    case 'skopeo':
      return await resolveWithSkopeo(source.source, source.file, ctx);
  }
}

/** A cached reference still valid for the file it names (same fingerprint), else undefined. */
async function fromRef(ctx: Context, fingerprint: string | undefined): Promise<ResolvedImage | undefined> {
  const ref = await ctx.cache.ref(ctx.reference);
  if (!ref || ref.fingerprint !== fingerprint) return undefined;
  const entry = await ctx.cache.entry(ref.digest);
  if (!entry) return undefined;
  return await ready(ctx, ref.digest, ctx.cache.rootfsOf(ref.digest), entry.defaults);
}

/** Identity of a local file: a changed file is hashed again. */
async function fingerprintOf(file: string, reference: string): Promise<string> {
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new Error('not a regular file');
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch (e) {
    throw new NspodError('IMAGE_NOT_FOUND', `image ${JSON.stringify(reference)}: cannot read ${file}: ${errorMessage(e)}`, { hint: 'give the path of an existing tarball' });
  }
}

async function resolveTarball(file: string, ctx: Context): Promise<ResolvedImage> {
  const fingerprint = await fingerprintOf(file, ctx.reference);
  const cached = await fromRef(ctx, fingerprint);
  if (cached) return cached;
  const digest = await fileDigest(file);
  const started = Date.now();
  const { size } = await stat(file);
  const { rootfs, record } = await ctx.cache.ensure(
    digest,
    ctx.reference,
    async (target) => {
      const bar = ctx.progress.layer(path.basename(file), size);
      const r = await extractTarball(file, target, { label: `image ${JSON.stringify(ctx.reference)}: tarball ${file}`, digest, onBytes: (n) => bar.tick(n) });
      bar.done();
      return { defaults: {}, size: r.contentBytes };
    },
    () => built(ctx, digest, 1, size, started),
  );
  await ctx.cache.saveRef({ reference: ctx.reference, digest, fingerprint });
  return await ready(ctx, digest, rootfs, record.defaults);
}

async function resolveLayout(layout: string, tag: string | undefined, ctx: Context, fingerprint?: string): Promise<ResolvedImage> {
  const manifest = await readImageManifest(layout, tag);
  const started = Date.now();
  let bytes = 0;
  const { rootfs, record } = await ctx.cache.ensure(
    manifest.digest,
    ctx.reference,
    async (target) => {
      let contentBytes = 0;
      for (const [i, layer] of manifest.layers.entries()) {
        const label = `image ${JSON.stringify(ctx.reference)}: layer ${i + 1}/${manifest.layers.length} (${layer.digest.slice(0, 19)})`;
        const bar = ctx.progress.layer(`layer ${i + 1}/${manifest.layers.length}`, layer.size ?? 0);
        const r = await extractTarball(blobPath(layout, layer.digest), target, { label, digest: layer.digest, whiteouts: true, onBytes: (n) => bar.tick(n) });
        bar.done();
        bytes += r.bytes;
        contentBytes += r.contentBytes;
      }
      return { defaults: manifest.defaults, size: contentBytes };
    },
    () => built(ctx, manifest.digest, manifest.layers.length, bytes, started),
  );
  await ctx.cache.saveRef({ reference: ctx.reference, digest: manifest.digest, fingerprint });
  return await ready(ctx, manifest.digest, rootfs, record.defaults);
}

async function resolveOciArchive(file: string, tag: string | undefined, ctx: Context): Promise<ResolvedImage> {
  const fingerprint = await fingerprintOf(file, ctx.reference);
  const cached = await fromRef(ctx, fingerprint);
  if (cached) return cached;
  const work = await ctx.cache.tempDir('archive');
  try {
    await extractTarball(file, work, { label: `image ${JSON.stringify(ctx.reference)}: archive ${file}` });
    return await resolveLayout(work, tag, ctx, fingerprint);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** docker-archive: and registry references: skopeo copies the image into a temp OCI layout, read from there. */
async function resolveWithSkopeo(sourceArg: string, file: string | undefined, ctx: Context): Promise<ResolvedImage> {
  const fingerprint = file ? await fingerprintOf(file, ctx.reference) : undefined;
  if (ctx.options.pull !== 'always' || file) {
    const cached = await fromRef(ctx, fingerprint);
    if (cached) return cached;
  }
  const work = await ctx.cache.tempDir('copy');
  try {
    const layout = path.join(work, 'layout');
    const skopeo = ctx.options.skopeo ?? process.env.NSPOD_SKOPEO ?? 'skopeo';
    const r = await execa(skopeo, ['copy', '--quiet', sourceArg, `oci:${layout}:image`], { reject: false, stdin: 'ignore' });
    if (r.exitCode !== 0) {
      const why = String(r.stderr || r.stdout || r.message).trim().split('\n').pop();
      throw new NspodError('IMAGE_NOT_FOUND', `image ${JSON.stringify(ctx.reference)}: skopeo copy ${sourceArg} failed: ${why}`, {
        hint: r.failed && r.exitCode === undefined ? 'install skopeo (scripts/setup does)' : 'check the reference, the network and the registry credentials',
      });
    }
    return await resolveLayout(layout, 'image', ctx, fingerprint);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function built(ctx: Context, digest: string, layers: number, bytes: number, started: number): void {
  const ms = Date.now() - started;
  ctx.progress.finish(`image ${ctx.reference}: unpacked ${layers} layer${layers === 1 ? '' : 's'}, ${(bytes / 1048576).toFixed(1)} MiB in ${ms} ms (${digest.slice(0, 19)})`);
  ctx.options.onUnpack?.({ reference: ctx.reference, digest, layers, bytes, ms });
}

/** Marks the entry used and turns the image's User into numbers from its own passwd/group. */
async function ready(ctx: Context, digest: string, rootfs: string, defaults: ImageDefaults): Promise<ResolvedImage> {
  await ctx.cache.touch(digest);
  const out: ImageDefaults = { ...defaults };
  if (defaults.user) {
    const { uid, gid } = numericUser(defaults.user, await readImageFile(rootfs, 'etc/passwd'), await readImageFile(rootfs, 'etc/group'));
    out.user = `${uid}:${gid}`;
  }
  return { reference: ctx.reference, rootfs, defaults: out, digest };
}

/**
 * A file of the image, only if it and every directory on the way to it are
 * what they claim (no symlink anywhere: `etc -> /etc` would read the host's).
 */
async function readImageFile(rootfs: string, rel: string): Promise<string> {
  let cur = rootfs;
  const parts = rel.split('/');
  try {
    for (const [i, part] of parts.entries()) {
      cur = path.join(cur, part);
      const st = await lstat(cur);
      if (i < parts.length - 1 ? !st.isDirectory() : !st.isFile()) return '';
    }
    return await readFile(cur, 'utf8');
  } catch {
    return '';
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

async function mustBeDirectory(dir: string, reference: string, hint: string): Promise<void> {
  if (!(await isDirectory(dir))) throw new NspodError('IMAGE_NOT_FOUND', `image ${JSON.stringify(reference)}: no rootfs directory at ${dir}`, { hint });
}

// ---- the cache, for the CLI: list, import, remove, prune ------------------------------------

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
    const names = refs.filter((r) => r.digest === digest).map((r) => r.reference).sort();
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
    throw new NspodError('IMAGE_INVALID', `${file}: not a readable tarball: ${errorMessage(e)}`, { hint: 'give a rootfs tarball, an oci-archive or a docker-archive' });
  }
  if (names.has('oci-layout') && names.has('index.json')) return 'oci-archive';
  if (names.has('manifest.json') && !names.has('etc/') && !names.has('etc')) return 'docker-archive';
  return 'tar';
}

/** Unpacks a local archive (rootfs tarball, oci-archive, docker-archive) into the cache under the name `reference`. */
export async function importImage(reference: string, file: string, options: ResolveOptions = {}): Promise<ResolvedImage> {
  const abs = path.resolve(options.cwd ?? process.cwd(), file);
  const kind = await archiveKind(abs);
  const source: ImageSource = kind === 'tar' ? { kind: 'tar', path: abs } : kind === 'oci-archive' ? { kind: 'oci-archive', path: abs } : { kind: 'skopeo', source: `docker-archive:${abs}`, file: abs };
  const cache = new ImageCache(imageRootOf(options));
  const internal = `${kind}:${abs}`;
  const hadInternal = (await cache.ref(internal)) !== undefined;
  const resolved = await resolveSource(source, { reference: internal, cache, options, progress: progressReporter(options.progress) });
  await cache.saveRef({ reference, digest: resolved.digest! });
  if (!hadInternal) await cache.dropRef(internal); // the image is known by the name it was imported under
  return { ...resolved, reference };
}

export interface RemoveOptions extends ImageCacheOptions {
  /** Whether a pod uses this rootfs; default: scan `<stateRoot>/pods/*\/pod.json` for it as a container's lowerdir. */
  inUse?: ((rootfs: string) => boolean | Promise<boolean>) | undefined;
  /** Pod state root scanned by the default inUse; default env NSPOD_ROOT, else /run/nspod. */
  stateRoot?: string | undefined;
}

/** Pods (by name) whose containers use `rootfs` as their lower dir. */
export async function podsUsing(rootfs: string, stateRoot: string): Promise<string[]> {
  const podsDir = path.join(stateRoot, 'pods');
  const names = await readdir(podsDir).catch(() => [] as string[]);
  const out: string[] = [];
  for (const name of names) {
    const record = await readJson<{ containers?: { lowerdir?: string }[] }>(path.join(podsDir, name, 'pod.json')).catch(() => undefined);
    if (record?.containers?.some((c) => c.lowerdir === rootfs)) out.push(name);
  }
  return out;
}

function inUseCheck(options: RemoveOptions): (rootfs: string) => Promise<string | undefined> {
  if (options.inUse) {
    const inUse = options.inUse;
    return async (rootfs) => ((await inUse(rootfs)) ? 'a pod' : undefined);
  }
  const stateRoot = path.resolve(options.stateRoot ?? process.env.NSPOD_ROOT ?? '/run/nspod');
  return async (rootfs) => {
    const pods = await podsUsing(rootfs, stateRoot);
    return pods.length > 0 ? `pod ${pods.join(', pod ')}` : undefined;
  };
}

/**
 * Removes a reference (or a `sha256:` digest). The unpacked rootfs goes with the last reference that names it,
 * unless a pod uses it: then nothing is removed and the error names the pod.
 */
export async function removeImage(reference: string, options: RemoveOptions = {}): Promise<{ removedEntry: boolean; digest: string }> {
  const cache = new ImageCache(imageRootOf(options));
  const refs = await cache.refs();
  const digest = /^sha256:[a-f0-9]{64}$/.test(reference) ? reference : refs.find((r) => r.reference === reference)?.digest;
  const known = digest !== undefined && ((await cache.entry(digest)) !== undefined || refs.some((r) => r.reference === reference));
  if (!digest || !known) {
    throw new NspodError('IMAGE_NOT_FOUND', `image ${JSON.stringify(reference)} is not in the image cache ${cache.root}`, { hint: 'listImages() shows what is cached' });
  }
  const naming = refs.filter((r) => r.digest === digest);
  const others = naming.filter((r) => r.reference !== reference);
  if (others.length > 0 && reference !== digest) {
    await cache.dropRef(reference);
    return { removedEntry: false, digest };
  }
  const user = await inUseCheck(options)(cache.rootfsOf(digest));
  if (user) throw new NspodError('IMAGE_INVALID', `image ${JSON.stringify(reference)} (${digest.slice(0, 19)}) is in use by ${user}`, { hint: 'remove the pods that use it first' });
  await cache.removeEntry(digest);
  for (const r of naming) await cache.dropRef(r.reference);
  return { removedEntry: true, digest };
}

export interface PruneOptions extends RemoveOptions {
  /** Keep entries used within this many milliseconds; default 0: every unused entry goes. */
  unusedForMs?: number | undefined;
}

/** Removes every cached image no pod uses (and not used within `unusedForMs`), their references, and crash leftovers. */
export async function pruneImages(options: PruneOptions = {}): Promise<{ removed: string[]; freedBytes: number }> {
  const cache = new ImageCache(imageRootOf(options));
  const check = inUseCheck(options);
  const cutoff = Date.now() - (options.unusedForMs ?? 0);
  const refs = await cache.refs();
  const removed: string[] = [];
  let freedBytes = 0;
  for (const digest of await cache.digests()) {
    const entry = await cache.entry(digest);
    const lastUsed = await cache.lastUsed(digest);
    if (lastUsed && lastUsed.getTime() > cutoff) continue;
    if (await check(cache.rootfsOf(digest))) continue;
    await cache.removeEntry(digest);
    for (const r of refs.filter((x) => x.digest === digest)) await cache.dropRef(r.reference);
    removed.push(digest);
    freedBytes += entry?.size ?? 0;
  }
  for (const r of refs) if (!removed.includes(r.digest) && !(await cache.entry(r.digest))) await cache.dropRef(r.reference);
  await cache.pruneLeftovers();
  return { removed, freedBytes };
}
