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
import { lstat, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { NspodError, errorMessage } from '../errors.js';
import { assets } from '../paths.js';
import { runProgram } from '../host/program.js';
import { ImageCache, imageRootOf } from './cache.js';
import { extractTarball, fileDigest } from './extract.js';
import { blobPath, readImageManifest } from './oci.js';
import { progressReporter, type ProgressReporter } from './progress.js';
import { parseImageReference, type ImageSource } from './reference.js';
import { numericUser, type ImageDefaults } from './config.js';

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

/** One resolution under way: the reference as written, the cache, the caller's options, its progress display. */
export interface Resolution {
  reference: string;
  cache: ImageCache;
  options: ResolveOptions;
  progress: ProgressReporter;
}

/** Resolves an `image:` reference to a rootfs directory, unpacking it into the cache the first time. */
export async function resolveImage(reference: string, options: ResolveOptions = {}): Promise<ResolvedImage> {
  const source = parseImageReference(reference, options.cwd ?? process.cwd());
  const ctx: Resolution = { reference, cache: new ImageCache(imageRootOf(options)), options, progress: progressReporter(options.progress) };
  return await resolveSource(source, ctx);
}

export async function resolveSource(source: ImageSource, ctx: Resolution): Promise<ResolvedImage> {
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
async function fromRef(ctx: Resolution, fingerprint: string | undefined): Promise<ResolvedImage | undefined> {
  const ref = await ctx.cache.ref(ctx.reference);
  if (!ref || ref.fingerprint !== fingerprint) return undefined;
  const entry = await ctx.cache.entry(ref.digest);
  if (!entry) return undefined;
  return await cachedImage(ctx, ref.digest, ctx.cache.rootfsOf(ref.digest), entry.defaults);
}

/** Identity of a local file: a changed file is hashed again. */
async function fingerprintOf(file: string, reference: string): Promise<string> {
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new Error('not a regular file');
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch (e) {
    throw new NspodError('IMAGE_NOT_FOUND', `image ${JSON.stringify(reference)}: cannot read ${file}: ${errorMessage(e)}`, {
      hint: 'give the path of an existing tarball',
    });
  }
}

async function resolveTarball(file: string, ctx: Resolution): Promise<ResolvedImage> {
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
      const r = await extractTarball(file, target, {
        label: `image ${JSON.stringify(ctx.reference)}: tarball ${file}`,
        digest,
        onBytes: (n) => bar.tick(n),
      });
      bar.done();
      return { defaults: {}, size: r.contentBytes };
    },
    () => reportUnpack(ctx, digest, 1, size, started),
  );
  await ctx.cache.saveRef({ reference: ctx.reference, digest, fingerprint });
  return await cachedImage(ctx, digest, rootfs, record.defaults);
}

async function resolveLayout(layout: string, tag: string | undefined, ctx: Resolution, fingerprint?: string): Promise<ResolvedImage> {
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
        const r = await extractTarball(blobPath(layout, layer.digest), target, {
          label,
          digest: layer.digest,
          whiteouts: true,
          onBytes: (n) => bar.tick(n),
        });
        bar.done();
        bytes += r.bytes;
        contentBytes += r.contentBytes;
      }
      return { defaults: manifest.defaults, size: contentBytes };
    },
    () => reportUnpack(ctx, manifest.digest, manifest.layers.length, bytes, started),
  );
  await ctx.cache.saveRef({ reference: ctx.reference, digest: manifest.digest, fingerprint });
  return await cachedImage(ctx, manifest.digest, rootfs, record.defaults);
}

async function resolveOciArchive(file: string, tag: string | undefined, ctx: Resolution): Promise<ResolvedImage> {
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
async function resolveWithSkopeo(sourceArg: string, file: string | undefined, ctx: Resolution): Promise<ResolvedImage> {
  const fingerprint = file ? await fingerprintOf(file, ctx.reference) : undefined;
  if (ctx.options.pull !== 'always' || file) {
    const cached = await fromRef(ctx, fingerprint);
    if (cached) return cached;
  }
  const work = await ctx.cache.tempDir('copy');
  try {
    const layout = path.join(work, 'layout');
    const skopeo = ctx.options.skopeo ?? process.env.NSPOD_SKOPEO ?? 'skopeo';
    const r = await runProgram(skopeo, ['copy', '--quiet', sourceArg, `oci:${layout}:image`]);
    if (r.exitCode !== 0) {
      const why = (r.stderr || r.stdout || r.message).trim().split('\n').pop();
      throw new NspodError('IMAGE_NOT_FOUND', `image ${JSON.stringify(ctx.reference)}: skopeo copy ${sourceArg} failed: ${why}`, {
        hint:
          r.exitCode === undefined && r.signal === undefined
            ? 'install skopeo (scripts/setup does)'
            : 'check the reference, the network and the registry credentials',
      });
    }
    return await resolveLayout(layout, 'image', ctx, fingerprint);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function reportUnpack(ctx: Resolution, digest: string, layers: number, bytes: number, started: number): void {
  const ms = Date.now() - started;
  ctx.progress.finish(
    `image ${ctx.reference}: unpacked ${layers} layer${layers === 1 ? '' : 's'}, ${(bytes / 1048576).toFixed(1)} MiB in ${ms} ms (${digest.slice(0, 19)})`,
  );
  ctx.options.onUnpack?.({ reference: ctx.reference, digest, layers, bytes, ms });
}

/** Marks the entry used and turns the image's User into numbers from its own passwd/group. */
async function cachedImage(ctx: Resolution, digest: string, rootfs: string, defaults: ImageDefaults): Promise<ResolvedImage> {
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
export async function readImageFile(rootfs: string, rel: string): Promise<string> {
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
  if (!(await isDirectory(dir)))
    throw new NspodError('IMAGE_NOT_FOUND', `image ${JSON.stringify(reference)}: no rootfs directory at ${dir}`, { hint });
}
