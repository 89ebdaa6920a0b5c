/**
 * Safe, streaming unpack of one tarball (a rootfs or an image layer) into a
 * directory: file → sha256 → gunzip → tar-fs, behind a gate that refuses
 * every entry that could write outside the target and applies OCI whiteouts.
 */
import { createReadStream } from 'node:fs';
import { chmod, chown, lchown, lstat, lutimes, open, readdir, rm, unlink, utimes } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import tarFs from 'tar-fs';
import { syncFs } from './syncfs.js';
import tarStream from 'tar-stream';
import { NspodError, errorMessage } from '../errors.js';

export type Compression = 'gzip' | 'zstd' | 'none';

/** Compression from the first bytes, never from the name. */
export async function detectCompression(file: string): Promise<Compression> {
  const fh = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(4), 0, 4, 0);
    if (bytesRead >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) return 'gzip';
    if (bytesRead === 4 && buffer.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'none';
  } finally {
    await fh.close();
  }
}

export interface ExtractOptions {
  /** Names the tarball in errors: `layer 2/3 (sha256:…)`, `tarball /x.tar`. */
  label: string;
  /** Apply OCI whiteouts (`.wh.NAME` deletes NAME, `.wh..wh..opq` hides what lower layers put in the dir). */
  whiteouts?: boolean;
  /** Expected `sha256:<hex>` of the file as stored; a mismatch fails the extraction. */
  digest?: string | undefined;
  /** Called with each chunk's size as the (compressed) file is read. */
  onBytes?: ((bytes: number) => void) | undefined;
}

export interface ExtractResult {
  /** `sha256:<hex>` of the file as stored. */
  digest: string;
  /** Bytes of the file as stored. */
  bytes: number;
  /** Sum of the regular files' sizes written. */
  contentBytes: number;
  entries: number;
  /** Entries neutralised rather than written (device nodes, fifos). */
  skipped: string[];
}

type EntryCallback = (err?: unknown) => void;
/** tar-stream's entry body (a streamx Readable). */
type EntryBody = { resume(): unknown; on(event: 'end', fn: () => void): unknown };
type EntryHandler = (header: tarStream.Header, stream: EntryBody, next: EntryCallback) => void;

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

/** An entry's name inside the archive → a clean relative path ('' for the root), or the reason it is refused. */
export function entryPath(name: string): { rel: string } | { refused: string } {
  if (name.startsWith('/')) return { refused: 'absolute path' };
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return { refused: 'path with ".."' };
  if (parts.some((p) => p.includes('\0'))) return { refused: 'NUL in path' };
  return { rel: parts.join('/') };
}

function entryError(label: string, entry: string, why: string): NspodError {
  return new NspodError('IMAGE_INVALID', `${label}: entry ${JSON.stringify(entry)}: ${why}`, {
    hint: 'the archive is corrupt or hostile; nothing was written outside the unpack directory',
  });
}

async function lstatOrUndefined(p: string) {
  try {
    return await lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Unpacks `file` into `root` (which must exist). Throws an NspodError naming the entry or the digest at fault. */
export async function extractTarball(file: string, root: string, options: ExtractOptions): Promise<ExtractResult> {
  root = path.resolve(root);
  const { label } = options;
  const compression = await detectCompression(file);
  if (compression === 'zstd')
    throw new NspodError('IMAGE_INVALID', `${label}: zstd compression is not supported`, {
      hint: 'convert the image to gzip layers (skopeo copy --dest-compress-format gzip)',
    });

  const skipped: string[] = [];
  let entries = 0;
  let contentBytes = 0;
  /** Paths this tarball made: an opaque whiteout keeps them and removes what came before. */
  const madeHere = new Set<string>();
  /** Directories already checked to be real directories (not symlinks) on the way to an entry. */
  const knownDirs = new Set<string>();
  /** Directory mtimes, set again at the end: writing into a dir after tar-fs set it moves it. */
  const dirTimes: [string, Date][] = [];
  /** Directories this tarball created where nothing was: a child not yet written there cannot exist. */
  const freshDirs = new Set<string>();

  // tar-fs writes files, links, dirs, owners, modes and mtimes; we capture its entry handler to put our gate in front.
  let tarFsEntry: EntryHandler | undefined;
  const capture = {
    on: (event: string, fn: EntryHandler) => {
      if (event === 'entry') tarFsEntry = fn;
      return capture;
    },
  };
  // chown is ours: files we create as root are root's already, so only other owners cost a syscall.
  tarFs.extract(root, {
    extract: capture as unknown as tarStream.Extract,
    umask: 0,
    validateSymlinks: false,
    chown: false,
    fs: syncFs,
  } as tarFs.ExtractOptions);
  if (!tarFsEntry) throw new NspodError('INTERNAL', 'tar-fs did not register an entry handler');
  const writeEntry = tarFsEntry;

  /** Refuses an entry whose parent path goes through a symlink or a non-directory. */
  async function checkParents(rel: string, entry: string): Promise<void> {
    const parts = rel.split('/').slice(0, -1);
    let cur = root;
    for (const part of parts) {
      cur = path.join(cur, part);
      if (knownDirs.has(cur)) continue;
      const st = await lstatOrUndefined(cur);
      if (!st) return; // the rest does not exist yet: tar-fs makes it
      if (st.isSymbolicLink())
        throw entryError(label, entry, `would be written through the symlink ${JSON.stringify(path.relative(root, cur))}`);
      if (!st.isDirectory()) throw entryError(label, entry, `${JSON.stringify(path.relative(root, cur))} is not a directory`);
      knownDirs.add(cur);
    }
  }

  /** Removes what lower layers left in `dir`, keeping what this layer made (recursively). */
  async function clearLower(dir: string): Promise<void> {
    for (const child of await readdir(dir)) {
      const p = path.join(dir, child);
      if (!madeHere.has(p)) await rm(p, { recursive: true, force: true });
      else if ((await lstat(p)).isDirectory()) await clearLower(p);
    }
  }

  /** A hard link's target as it was: tar-fs applies the link header's mode, owner and mtime to the shared inode. */
  let linkTarget: Stats | undefined;

  /** 'write' hands the entry to tar-fs; 'skip' drains it. */
  async function gate(header: tarStream.Header): Promise<'write' | 'skip'> {
    linkTarget = undefined;
    const raw = header.name;
    const clean = entryPath(raw);
    if ('refused' in clean) throw entryError(label, raw, clean.refused);
    const rel = clean.rel;
    const abs = rel === '' ? root : path.join(root, rel);
    await checkParents(rel, raw);
    if (header.type === 'link') {
      const target = entryPath(header.linkname ?? '');
      if ('refused' in target || target.rel === '')
        throw entryError(label, raw, `hard link to ${JSON.stringify(header.linkname)} points outside the archive`);
      header.linkname = target.rel;
      await checkParents(target.rel, raw); // the link's target must not sit behind a symlink either
      linkTarget = await lstatOrUndefined(path.join(root, target.rel));
    }
    if (header.type === 'character-device' || header.type === 'block-device' || header.type === 'fifo') {
      skipped.push(raw);
      return 'skip';
    }
    if (!['file', 'contiguous-file', 'link', 'symlink', 'directory'].includes(header.type ?? ''))
      throw entryError(label, raw, `unsupported entry type ${header.type}`);
    if (header.type === 'contiguous-file') header.type = 'file';

    const base = path.basename(rel);
    if (options.whiteouts && base.startsWith(WHITEOUT)) {
      const dir = path.dirname(abs);
      if (base === OPAQUE) {
        if (await lstatOrUndefined(dir)) await clearLower(dir);
      } else {
        const hidden = base.slice(WHITEOUT.length);
        if (hidden === '' || hidden === '.' || hidden === '..') throw entryError(label, raw, 'whiteout of no file');
        await rm(path.join(dir, hidden), { recursive: true, force: true });
      }
      knownDirs.clear();
      freshDirs.clear();
      return 'skip';
    }
    if (rel === '') return header.type === 'directory' ? 'write' : 'skip';

    // A layer replaces what is there: never write through an existing link, never merge a file into a dir.
    const existing = freshDirs.has(path.dirname(abs)) && !madeHere.has(abs) ? undefined : await lstatOrUndefined(abs);
    if (!existing && header.type === 'directory') freshDirs.add(abs);
    if (existing) {
      if (existing.isDirectory()) {
        if (header.type !== 'directory') {
          await rm(abs, { recursive: true, force: true });
          knownDirs.clear();
        }
      } else {
        await unlink(abs);
      }
    }
    for (let p = abs; p !== root; p = path.dirname(p)) madeHere.add(p); // parents tar-fs makes count as this layer's
    header.name = rel;
    return 'write';
  }

  const extractor = tarStream.extract();
  extractor.on('entry', (header, stream, next) => {
    const raw = header.name;
    entries++;
    gate(header).then(
      (verdict) => {
        if (verdict === 'skip') {
          stream.on('end', () => next());
          stream.resume();
          return;
        }
        writeEntry(header, stream, (err) => {
          if (err) return next(err instanceof NspodError ? err : entryError(label, raw, errorMessage(err)));
          if (header.type === 'file') contentBytes += header.size ?? 0;
          if (header.type === 'directory' && header.mtime) dirTimes.push([path.join(root, header.name), header.mtime]);
          // tar-fs drops setuid/setgid/sticky; a rootfs needs them (/tmp, su).
          const special = (header.mode ?? 0) & 0o7000;
          const fix = (p: Promise<unknown>) =>
            p.then(
              () => next(),
              (e: unknown) => next(entryError(label, raw, errorMessage(e))),
            );
          const written = path.join(root, header.name);
          const before = linkTarget;
          const owner = (header.uid ?? 0) !== 0 || (header.gid ?? 0) !== 0;
          if (header.type === 'link' && before?.isFile()) {
            fix(
              chown(written, before.uid, before.gid)
                .then(() => chmod(written, before.mode & 0o7777))
                .then(() => utimes(written, before.atime, before.mtime)),
            );
          } else if (owner || special) {
            const chowned = owner
              ? header.type === 'symlink'
                ? lchown(written, header.uid ?? 0, header.gid ?? 0)
                : chown(written, header.uid ?? 0, header.gid ?? 0)
              : Promise.resolve();
            // chown clears setuid/setgid, so the mode goes last.
            fix(chowned.then(() => (header.type === 'symlink' ? undefined : chmod(written, (header.mode ?? 0) & 0o7777))));
          } else next();
        });
      },
      (err: unknown) => {
        stream.resume();
        next(err instanceof NspodError ? err : entryError(label, raw, errorMessage(err)));
      },
    );
  });

  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      options.onBytes?.(chunk.length);
      callback(null, chunk);
    },
  });
  const stages: (NodeJS.ReadableStream | NodeJS.ReadWriteStream | NodeJS.WritableStream)[] = [
    createReadStream(file, { highWaterMark: 1 << 20 }),
    meter,
  ];
  if (compression === 'gzip') stages.push(createGunzip({ chunkSize: 1 << 16 })); // 64 KiB: half the gunzip time of the 16 KiB default
  stages.push(extractor as unknown as NodeJS.WritableStream);
  try {
    await pipeline(stages);
  } catch (e) {
    if (e instanceof NspodError) throw e;
    // A corrupt blob often breaks gunzip or tar first: when its digest is known, say what is really wrong.
    if (options.digest) {
      const actual = await fileDigest(file).catch(() => undefined);
      if (actual && actual !== options.digest)
        throw new NspodError('IMAGE_INVALID', `${label}: digest mismatch: expected ${options.digest}, the blob hashes to ${actual}`, {
          hint: 'the blob is corrupt or was tampered with: fetch the image again',
          cause: e,
        });
    }
    const why = errorMessage(e);
    throw new NspodError('IMAGE_INVALID', `${label}: ${/end of (file|data)/i.test(why) ? `truncated (${why})` : why}`, {
      hint: 'the archive is incomplete or corrupt: fetch it again',
      cause: e,
    });
  }
  const digest = `sha256:${hash.digest('hex')}`;
  // lutimes: a directory a later entry replaced by a symlink must not pass the change on to the link's target.
  for (const [dir, mtime] of dirTimes.reverse()) await lutimes(dir, mtime, mtime).catch(() => undefined); // gone by a later whiteout
  if (options.digest && options.digest !== digest) {
    throw new NspodError('IMAGE_INVALID', `${label}: digest mismatch: expected ${options.digest}, the blob hashes to ${digest}`, {
      hint: 'the blob is corrupt or was tampered with: fetch the image again',
    });
  }
  return { digest, bytes, contentBytes, entries, skipped };
}

/** sha256 of a whole file, streamed. */
export async function fileDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) hash.update(chunk);
  });
  return `sha256:${hash.digest('hex')}`;
}
