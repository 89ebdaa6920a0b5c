/**
 * The image cache: one unpacked rootfs per image digest, made in a temp dir and
 * renamed into place when complete, under a per-digest lock that works across
 * processes (src/host/lock.ts).
 *
 *   <imageRoot>/entries/sha256-<hex>/{rootfs/, image.json, last-used}
 *   <imageRoot>/refs/<sha256 of reference>.json   reference → digest (+ a file fingerprint)
 *   <imageRoot>/locks/<key>/                      held while a digest is unpacked or removed (src/host/lock.ts)
 *   <imageRoot>/tmp/                              unpacks in progress; leftovers of a crash
 */
import { mkdir, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { readJson, writeJsonAtomic } from '../host/files.js';
import { withDirLock } from '../host/lock.js';
import type { ImageDefaults } from './config.js';

export const DEFAULT_IMAGE_ROOT = '/var/lib/nspod/images';

export function imageRootOf(options: { imageRoot?: string | undefined }): string {
  return path.resolve(options.imageRoot ?? process.env.NSPOD_IMAGE_ROOT ?? DEFAULT_IMAGE_ROOT);
}

/** What image.json records about a cache entry. */
export interface EntryRecord {
  digest: string;
  /** The reference it was first unpacked from. */
  source: string;
  defaults: ImageDefaults;
  /** Bytes of regular files in the rootfs. */
  size: number;
  createdAt: string;
}

/** A reference's record: the digest it resolved to; for local files, the file's identity when it did. */
export interface RefRecord {
  reference: string;
  digest: string;
  fingerprint?: string | undefined;
}

export class ImageCache {
  constructor(readonly root: string) {}

  entryDir(digest: string): string {
    return path.join(this.root, 'entries', digest.replace(':', '-'));
  }

  rootfsOf(digest: string): string {
    return path.join(this.entryDir(digest), 'rootfs');
  }

  private refFile(reference: string): string {
    return path.join(this.root, 'refs', `${createHash('sha256').update(reference).digest('hex')}.json`);
  }

  async entry(digest: string): Promise<EntryRecord | undefined> {
    return await readJson<EntryRecord>(path.join(this.entryDir(digest), 'image.json'));
  }

  async touch(digest: string): Promise<void> {
    const now = new Date();
    await utimes(path.join(this.entryDir(digest), 'last-used'), now, now).catch(() => undefined);
  }

  async lastUsed(digest: string): Promise<Date | undefined> {
    try {
      return (await stat(path.join(this.entryDir(digest), 'last-used'))).mtime;
    } catch {
      return undefined;
    }
  }

  async ref(reference: string): Promise<RefRecord | undefined> {
    return await readJson<RefRecord>(this.refFile(reference));
  }

  async saveRef(record: RefRecord): Promise<void> {
    await writeJsonAtomic(this.refFile(record.reference), record, { mode: 0o644, pretty: false, mkdir: true });
  }

  async dropRef(reference: string): Promise<void> {
    await rm(this.refFile(reference), { force: true });
  }

  async refs(): Promise<RefRecord[]> {
    const dir = path.join(this.root, 'refs');
    const names = await readdir(dir).catch(() => [] as string[]);
    const out: RefRecord[] = [];
    for (const n of names.filter((f) => f.endsWith('.json'))) {
      const r = await readJson<RefRecord>(path.join(dir, n));
      if (r) out.push(r);
    }
    return out;
  }

  async digests(): Promise<string[]> {
    const names = await readdir(path.join(this.root, 'entries')).catch(() => [] as string[]);
    return names.filter((n) => /^sha256-[a-f0-9]{64}$/.test(n)).map((n) => n.replace('-', ':'));
  }

  /** A fresh dir under tmp/ for work on `key`; `tmp/<key>.*` leftovers are a crashed holder's, removed by the next lock holder. */
  async tempDir(key: string): Promise<string> {
    const dir = path.join(this.root, 'tmp', `${key}.${randomBytes(6).toString('hex')}`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  async removeLeftovers(key: string): Promise<void> {
    const tmp = path.join(this.root, 'tmp');
    for (const n of await readdir(tmp).catch(() => [] as string[])) {
      if (n.startsWith(`${key}.`)) await rm(path.join(tmp, n), { recursive: true, force: true });
    }
  }

  /** Removes tmp/ leftovers of crashed work: an unpack whose lock is free, or other work older than an hour. */
  async pruneLeftovers(): Promise<void> {
    const tmp = path.join(this.root, 'tmp');
    for (const n of await readdir(tmp).catch(() => [] as string[])) {
      const key = n.slice(0, n.indexOf('.'));
      const locked = await stat(path.join(this.root, 'locks', key)).then(
        () => true,
        () => false,
      );
      if (
        key.startsWith('sha256-') ? locked : Date.now() - ((await stat(path.join(tmp, n)).catch(() => undefined))?.mtimeMs ?? 0) < 3_600_000
      )
        continue;
      await rm(path.join(tmp, n), { recursive: true, force: true });
    }
  }

  /**
   * Makes the entry for `digest` unless it exists: `build(rootfs)` fills a temp rootfs, which is renamed into
   * place only when build succeeds. Concurrent callers (any process) wait; the entry is built once.
   */
  async ensure(
    digest: string,
    source: string,
    build: (rootfs: string) => Promise<{ defaults: ImageDefaults; size: number }>,
    onBuilt?: () => void,
  ): Promise<{ rootfs: string; record: EntryRecord; built: boolean }> {
    const existing = await this.entry(digest);
    if (existing) return { rootfs: this.rootfsOf(digest), record: existing, built: false };
    const key = digest.replace(':', '-');
    return await this.withLock(key, async () => {
      const again = await this.entry(digest);
      if (again) return { rootfs: this.rootfsOf(digest), record: again, built: false };
      await this.removeLeftovers(key);
      await rm(this.entryDir(digest), { recursive: true, force: true }); // an entry without image.json is not one
      const work = await this.tempDir(key);
      try {
        const rootfs = path.join(work, 'rootfs');
        await mkdir(rootfs, { mode: 0o755 });
        const { defaults, size } = await build(rootfs);
        const record: EntryRecord = { digest, source, defaults, size, createdAt: new Date().toISOString() };
        await writeFile(path.join(work, 'image.json'), JSON.stringify(record, null, 2));
        await writeFile(path.join(work, 'last-used'), '');
        await mkdir(path.join(this.root, 'entries'), { recursive: true });
        await rename(work, this.entryDir(digest));
        onBuilt?.();
        return { rootfs: this.rootfsOf(digest), record, built: true };
      } catch (e) {
        await rm(work, { recursive: true, force: true });
        throw e;
      }
    });
  }

  /** Removes an entry: out of sight first (rename into tmp/), then deleted. */
  async removeEntry(digest: string): Promise<void> {
    const key = digest.replace(':', '-');
    await this.withLock(key, async () => {
      const gone = path.join(this.root, 'tmp', `${key}.removing-${randomBytes(4).toString('hex')}`);
      await mkdir(path.dirname(gone), { recursive: true });
      try {
        await rename(this.entryDir(digest), gone);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      await rm(gone, { recursive: true, force: true });
    });
  }

  /** Runs `fn` holding `locks/<key>` (the project's one cross-process lock: a dead holder's lock is broken). */
  private async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    await mkdir(path.join(this.root, 'locks'), { recursive: true });
    // An unpack of a large image takes minutes: others wait for it rather than give up.
    return await withDirLock(path.join(this.root, 'locks', key), fn, { timeoutMs: 600_000, retryMs: 50 });
  }
}
