/**
 * Files into and out of a container, running or exited: through its rootfs (the overlay nspod mounted) and the
 * sources of its bind mounts (volumes, /etc/hosts), as its config.json lists them. Every path is resolved inside the
 * container's root (host/inroot.ts), each entry of a tar or a directory on its own, so a symlink in the container is
 * followed there, never to the host; the last component is opened with O_NOFOLLOW. Like `docker cp`: a directory
 * goes in and out as tar; a host file or directory lands at the target, or in it when the target is a directory.
 */
import { constants } from 'node:fs';
import { chown, link, lstat, mkdir, open, readFile, readdir, readlink, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import tarFs from 'tar-fs';
import { NspodError } from '../errors.js';
import { innerPath, resolveInRoot, type RootView } from '../host/inroot.js';
import { mountPoints } from '../host/mounts.js';
import type { ContainerRecord } from './store.js';

interface MountEntry {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

/** A container's files as the host reaches them, and which of them it may write. */
export interface ContainerFiles extends RootView {
  readonly what: string;
  /** Throws when `inner` is on a read-only mount (or a read-only rootfs). */
  assertWritable(inner: string): void;
}

export interface CopyInOptions {
  /** The mode of a file made from a string or Buffer; default 0644 (a tar's or a host file's own mode is kept). */
  mode?: number | undefined;
  /** The owner of what is made; default root (0:0) for a string, a Buffer or a host path, a tar entry's own for a tar. */
  uid?: number | undefined;
  gid?: number | undefined;
}

const isBind = (m: MountEntry) => m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');

/** The container's files: its rootfs (which must still be mounted) and its mounts, read from its bundle. */
export async function openContainerFs(pod: string, c: ContainerRecord): Promise<ContainerFiles> {
  const what = `${pod}/${c.name}`;
  if (!mountPoints().has(c.rootfs)) {
    throw new NspodError('RUNTIME_FAILED', `the rootfs of ${what} is not mounted (the pod was stopped)`, {
      hint: 'copy files in and out of a pod that runs; its containers may have exited',
    });
  }
  const config = JSON.parse(await readFile(path.join(c.bundle, 'config.json'), 'utf8')) as {
    root?: { readonly?: boolean };
    mounts?: MountEntry[];
  };
  const mounts = (config.mounts ?? []).map((m) => ({ ...m, destination: innerPath(m.destination) }));
  const under = (inner: string) =>
    mounts
      .filter((m) => inner === m.destination || inner.startsWith(`${m.destination}/`))
      .sort((a, b) => b.destination.length - a.destination.length)[0];
  return {
    what,
    hostPath(inner) {
      const m = under(inner);
      if (!m) return path.join(c.rootfs, inner);
      if (!isBind(m) || !m.source) {
        throw new NspodError('INVALID_SPEC', `${what}:${inner} is on its ${m.type ?? 'special'} mount at ${m.destination}`, {
          hint: 'nspod copies files of the rootfs and of volumes (bind mounts) only',
        });
      }
      return path.join(m.source, inner.slice(m.destination.length));
    },
    assertWritable(inner) {
      const m = under(inner);
      const readOnly = m ? (m.options ?? []).includes('ro') : config.root?.readonly === true;
      if (readOnly) {
        throw new NspodError('INVALID_SPEC', `${what}:${inner} is on a read-only ${m ? `mount at ${m.destination}` : 'rootfs'}`, {
          hint: m ? 'the volume is mounted readOnly' : 'the container has readOnlyRootFilesystem: copy into a volume',
        });
      }
    },
  };
}

/** Makes the directory `inner` (resolved in the root) and its missing parents; returns its resolved path. */
async function mkdirInRoot(fs: ContainerFiles, inner: string, owner: { uid?: number; gid?: number }): Promise<string> {
  const resolved = await resolveInRoot(fs, inner);
  let at = '';
  for (const c of resolved.split('/').filter(Boolean)) {
    at = `${at}/${c}`;
    const host = fs.hostPath(at);
    const st = await lstat(host).catch(() => undefined);
    if (st?.isDirectory()) continue;
    if (st) throw new NspodError('INVALID_SPEC', `${fs.what}:${at} is not a directory`);
    fs.assertWritable(at);
    await mkdir(host, { mode: 0o755 });
    if (owner.uid !== undefined || owner.gid !== undefined) await chown(host, owner.uid ?? 0, owner.gid ?? 0);
  }
  return resolved;
}

/** The resolved path of a new entry `inner`: its parent made and resolved in the root, its last component as named. */
async function entryInRoot(fs: ContainerFiles, inner: string, owner: { uid?: number; gid?: number }): Promise<string> {
  const normalized = innerPath(inner);
  if (normalized === '/') throw new NspodError('INVALID_SPEC', `${fs.what}: / is not a file`);
  const parent = await mkdirInRoot(fs, path.posix.dirname(normalized), owner);
  const resolved = await resolveInRoot(fs, path.posix.join(parent, path.posix.basename(normalized)));
  fs.assertWritable(resolved);
  return resolved;
}

/** Writes a file at `inner`: a symlink there is followed in the root; what is there is replaced by a plain file. */
async function writeFileInRoot(
  fs: ContainerFiles,
  inner: string,
  content: Readable | Buffer,
  header: { mode: number; uid: number; gid: number; mtime?: Date | undefined },
): Promise<void> {
  const resolved = await entryInRoot(fs, inner, {});
  const host = fs.hostPath(resolved);
  const st = await lstat(host).catch(() => undefined);
  if (st?.isDirectory()) throw new NspodError('INVALID_SPEC', `${fs.what}:${resolved} is a directory`);
  const file = await open(host, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, header.mode & 0o7777);
  try {
    if (Buffer.isBuffer(content)) await file.writeFile(content);
    else for await (const chunk of content) await file.write(chunk as Buffer);
    await file.chown(header.uid, header.gid);
    await file.chmod(header.mode & 0o7777);
    if (header.mtime) await file.utimes(header.mtime, header.mtime);
  } finally {
    await file.close();
  }
}

/** Writes a string or Buffer as the file `target`. */
export async function copyContentIn(fs: ContainerFiles, target: string, content: string | Buffer, options: CopyInOptions): Promise<void> {
  const data = typeof content === 'string' ? Buffer.from(content) : content;
  await writeFileInRoot(fs, target, data, { mode: options.mode ?? 0o644, uid: options.uid ?? 0, gid: options.gid ?? 0 });
}

/** Extracts a tar stream into the directory `dir` (made when missing), each entry resolved in the root on its own. */
export async function extractTarIn(fs: ContainerFiles, dir: string, tar: Readable, options: CopyInOptions = {}): Promise<void> {
  const base = await mkdirInRoot(fs, dir, options);
  const extract = tarStream.extract();
  const done = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      const inner = path.posix.join(base, innerPath(h.name));
      const owner = { uid: options.uid ?? h.uid ?? 0, gid: options.gid ?? h.gid ?? 0 };
      if (h.type === 'directory') {
        const made = await mkdirInRoot(fs, inner, owner);
        await chown(fs.hostPath(made), owner.uid, owner.gid);
        entry.resume();
      } else if (h.type === 'file' || h.type === 'contiguous-file') {
        await writeFileInRoot(fs, inner, entry as unknown as Readable, { mode: h.mode ?? 0o644, ...owner, mtime: h.mtime });
      } else if (h.type === 'symlink' && h.linkname) {
        const at = fs.hostPath(await entryInRoot(fs, inner, owner));
        await rm(at, { force: true });
        await symlink(h.linkname, at);
        entry.resume();
      } else if (h.type === 'link' && h.linkname) {
        const from = fs.hostPath(await resolveInRoot(fs, path.posix.join(base, innerPath(h.linkname)), { followLast: false }));
        const at = fs.hostPath(await entryInRoot(fs, inner, owner));
        await rm(at, { force: true });
        await link(from, at);
        entry.resume();
      } else {
        entry.resume();
        throw new NspodError(
          'INVALID_SPEC',
          `${fs.what}: tar entry ${h.name} is a ${h.type}: nspod copies files, directories and links only`,
        );
      }
    }
  })();
  await Promise.all([pipeline(tar, extract), done]);
}

/**
 * Copies a host file or directory in, as `docker cp` does: into `target` when it is a directory in the container,
 * else as `target` (a directory's contents then make it). Owned by root unless `uid`/`gid` say otherwise.
 */
export async function copyHostPathIn(fs: ContainerFiles, target: string, source: string, options: CopyInOptions): Promise<void> {
  const st = await lstat(source);
  const resolved = await resolveInRoot(fs, target);
  const there = await lstat(fs.hostPath(resolved)).catch(() => undefined);
  const owner = { uid: options.uid ?? 0, gid: options.gid ?? 0 };
  const map = (h: tarFs.Headers) => ({ ...h, ...owner });
  if (st.isDirectory()) {
    const dir = there?.isDirectory() ? path.posix.join(resolved, path.basename(source)) : resolved;
    await extractTarIn(fs, dir, tarFs.pack(source, { map }) as unknown as Readable, owner);
    return;
  }
  const dir = there?.isDirectory() ? resolved : path.posix.dirname(innerPath(target));
  const name = there?.isDirectory() ? path.basename(source) : path.posix.basename(innerPath(target));
  const pack = tarFs.pack(path.dirname(source), { entries: [path.basename(source)], map: (h) => ({ ...map(h), name }) });
  await extractTarIn(fs, dir, pack as unknown as Readable, {});
}

/** `inner` as a tar stream: a file as one entry, a directory as its tree under its name (symlinks kept as symlinks). */
export async function packOut(fs: ContainerFiles, inner: string): Promise<Readable> {
  const resolved = await resolveInRoot(fs, inner);
  const top = await lstat(fs.hostPath(resolved)).catch(() => undefined);
  if (!top) throw new NspodError('INVALID_SPEC', `${fs.what}:${innerPath(inner)}: no such file or directory`);
  const pack = tarStream.pack();
  const name = resolved === '/' ? '.' : path.posix.basename(resolved);
  const add = async (at: string, entryName: string): Promise<void> => {
    const host = fs.hostPath(at);
    const st = await lstat(host);
    const header = { name: entryName, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    if (st.isDirectory()) {
      await entry(pack, { ...header, type: 'directory' });
      for (const child of (await readdir(host)).sort()) await add(path.posix.join(at, child), `${entryName}/${child}`);
    } else if (st.isSymbolicLink()) {
      await entry(pack, { ...header, type: 'symlink', linkname: await readlink(host) });
    } else if (st.isFile()) {
      const file = await open(host, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        await entry(pack, { ...header, type: 'file', size: st.size }, file.createReadStream({ autoClose: false }));
      } finally {
        await file.close();
      }
    }
    // Sockets, fifos and devices have no content to copy; docker cp leaves them out too.
  };
  void add(resolved, name).then(
    () => pack.finalize(),
    (e: unknown) => pack.destroy(e as Error),
  );
  return pack as unknown as Readable;
}

/** One tar entry, its content streamed; resolves once the pack took it all. */
function entry(pack: tarStream.Pack, header: Partial<tarStream.Header> & { name: string }, content?: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = pack.entry(header as tarStream.Header, (e) => (e ? reject(e) : resolve()));
    // A directory's or a symlink's sink takes no content and ends by itself.
    if (content) content.on('error', reject).pipe(sink);
  });
}

/** Extracts a tar stream (packOut's) into a host directory, made when missing. */
export async function extractTarToHost(tar: Readable, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await pipeline(tar, tarFs.extract(dir) as unknown as Writable);
}
