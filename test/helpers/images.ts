/** Builders for image tests: tarballs written entry by entry with tar-stream, OCI layouts made by umoci. */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import os from 'node:os';
import path from 'node:path';
import tarStream from 'tar-stream';
import { execa } from 'execa';
import type { ExecutionContext } from 'ava';
import { assets } from '../../src/paths.js';

export interface TarEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'fifo';
  content?: string;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

/** Writes `entries` in order to a tarball (gzip when asked). */
export async function writeTar(file: string, entries: TarEntry[], gzip = false): Promise<string> {
  const pack = tarStream.pack();
  const done = pipeline([pack as unknown as NodeJS.ReadableStream, ...(gzip ? [createGzip()] : []), createWriteStream(file)]);
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header: Partial<tarStream.Header> & { name: string } = {
      name: e.name,
      type,
      mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
      mtime: new Date(1_700_000_000_000),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
    };
    if (e.linkname !== undefined) header.linkname = e.linkname;
    if (type === 'character-device') Object.assign(header, { devmajor: 1, devminor: 3 });
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (type === 'file') pack.entry(header, e.content ?? '', cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  await done;
  return file;
}

/** A temp dir removed when the test ends, pass or fail. */
export async function tempDir(t: ExecutionContext, tag: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `nspod-${tag}-`));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The toolbox rootfs as `tar -C rootfs -c .` writes it. */
export async function toolboxTarball(dir: string, gzip: boolean): Promise<string> {
  const file = path.join(dir, gzip ? 'toolbox.tar.gz' : 'toolbox.tar');
  await execa('tar', ['-C', assets.toolboxRootfs, gzip ? '-czf' : '-cf', file, '.']);
  return file;
}

export async function umoci(...args: string[]): Promise<string> {
  return (await execa('umoci', args)).stdout;
}

/**
 * An OCI layout at `<dir>/layout` with tags:
 *  v1: the toolbox + /gone + /opq/{old, keep/x} (one layer, by umoci repack)
 *  v2: v1 + a layer deleting /gone (whiteout) and making /opq opaque with /opq/new; config defaults set by umoci config
 */
export async function buildLayout(dir: string, config: string[]): Promise<string> {
  const layout = path.join(dir, 'layout');
  const bundle = path.join(dir, 'bundle');
  await umoci('init', '--layout', layout);
  await umoci('new', '--image', `${layout}:base`);
  await umoci('unpack', '--image', `${layout}:base`, bundle);
  const rootfs = path.join(bundle, 'rootfs');
  await execa('cp', ['-a', `${assets.toolboxRootfs}/.`, `${rootfs}/`]);
  await execa('sh', ['-c', 'mkdir -p opq/keep && echo old > opq/old && echo x > opq/keep/x && echo gone > gone'], { cwd: rootfs });
  await umoci('repack', '--image', `${layout}:v1`, bundle);
  await rm(bundle, { recursive: true, force: true });
  const layer2 = await writeTar(path.join(dir, 'layer2.tar'), [
    { name: '.wh.gone', content: '' },
    { name: 'opq/', type: 'directory' },
    { name: 'opq/.wh..wh..opq', content: '' },
    { name: 'opq/new', content: 'new\n' },
  ]);
  await umoci('raw', 'add-layer', '--image', `${layout}:v1`, '--tag', 'v2', layer2);
  if (config.length > 0) await umoci('config', '--image', `${layout}:v2`, '--tag', 'v2', ...config);
  return layout;
}

/**
 * An oci-archive of the toolbox with `files` added and an image config's `Entrypoint`, `Cmd`, `StopSignal`, `User`: a stand-in, made
 * here, for an image a docs example names (redis, hello-app), so that its manifest runs unedited without a registry.
 */
export async function toolboxImageArchive(
  dir: string,
  name: string,
  config: { entrypoint?: string[]; cmd?: string[]; stopSignal?: string; user?: string; healthcheck?: Record<string, unknown> },
  files: { path: string; content: string; mode?: number }[] = [],
): Promise<string> {
  const layout = path.join(dir, `${name}-layout`);
  const bundle = path.join(dir, `${name}-bundle`);
  await umoci('init', '--layout', layout);
  await umoci('new', '--image', `${layout}:latest`);
  await umoci('unpack', '--image', `${layout}:latest`, bundle);
  const rootfs = path.join(bundle, 'rootfs');
  await execa('cp', ['-a', `${assets.toolboxRootfs}/.`, `${rootfs}/`]);
  for (const f of files) {
    const file = path.join(rootfs, f.path);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, f.content, { mode: f.mode ?? 0o644 });
  }
  await umoci('repack', '--image', `${layout}:latest`, bundle);
  const args = (config.entrypoint ?? []).flatMap((e) => ['--config.entrypoint', e]);
  for (const c of config.cmd ?? []) args.push('--config.cmd', c);
  if (config.stopSignal) args.push('--config.stopsignal', config.stopSignal);
  if (config.user !== undefined) args.push('--config.user', config.user);
  await umoci('config', '--image', `${layout}:latest`, '--tag', 'latest', ...args);
  if (config.healthcheck)
    await patchImageConfig(layout, (c) => ({ ...c, config: { ...(c.config as object), Healthcheck: config.healthcheck } }));
  const archive = path.join(dir, `${name}.oci.tar`);
  await execa('tar', ['-C', layout, '-cf', archive, '.']);
  await rm(bundle, { recursive: true, force: true });
  return archive;
}

/**
 * Rewrites the config of the (only) image of an OCI layout with `patch`: a new config blob, the manifest pointing at it,
 * the index at the new manifest. For what umoci config cannot set (Docker's Healthcheck).
 */
async function patchImageConfig(layout: string, patch: (config: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
  const blob = (digest: string) => path.join(layout, 'blobs', ...digest.split(':'));
  const put = async (json: unknown) => {
    const bytes = Buffer.from(JSON.stringify(json));
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    await writeFile(blob(digest), bytes);
    return { digest, size: bytes.length };
  };
  const indexFile = path.join(layout, 'index.json');
  const index = JSON.parse(await readFile(indexFile, 'utf8')) as { manifests: { digest: string; size: number }[] };
  const entry = index.manifests[0]!;
  const manifest = JSON.parse(await readFile(blob(entry.digest), 'utf8')) as { config: { digest: string; size: number } };
  const config = JSON.parse(await readFile(blob(manifest.config.digest), 'utf8')) as Record<string, unknown>;
  manifest.config = { ...manifest.config, ...(await put(patch(config))) };
  Object.assign(entry, await put(manifest));
  await writeFile(indexFile, JSON.stringify(index));
}
