/**
 * A lock between processes sharing a state root: a directory that appears
 * atomically with its holder inside (made under a temporary name, then
 * renamed into place; a rename onto a non-empty directory fails), so there is
 * never a lock without a holder. A lock whose holder is no longer running
 * (pid gone, or reused by a process with another start time) is stale and broken.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { NspodError } from '../errors.js';
import { randomHex } from './builtins.js';
import { currentProcessIdentity, isProcessAlive, type ProcessIdentity } from './proc.js';

export interface DirLockOptions {
  /** Give up after this long; default 30 s (the holders this lock knows hold it for milliseconds). */
  timeoutMs?: number;
  /** Pause between attempts; default 10 ms. */
  retryMs?: number;
}

const HOLDER = 'holder.json';

export async function readLockHolder(lockDir: string): Promise<ProcessIdentity | undefined> {
  try {
    const h = JSON.parse(await readFile(path.join(lockDir, HOLDER), 'utf8')) as Partial<ProcessIdentity>;
    return typeof h.pid === 'number' && typeof h.startTime === 'number' ? { pid: h.pid, startTime: h.startTime } : undefined;
  } catch {
    return undefined;
  }
}

/** One attempt: true when this call now holds the lock. */
export async function tryLockDir(lockDir: string, holder: ProcessIdentity = currentProcessIdentity()): Promise<boolean> {
  const staging = `${lockDir}.${process.pid}.${randomHex(4)}`;
  await mkdir(staging, { mode: 0o700 });
  try {
    await writeFile(path.join(staging, HOLDER), JSON.stringify(holder));
    await rename(staging, lockDir);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw e;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Breaks the lock when its holder is dead. It is renamed aside first and its
 * holder read again there, so that of two breakers only one removes it, and a
 * lock taken afresh in between is put back rather than lost.
 */
export async function breakStaleLock(lockDir: string): Promise<boolean> {
  const holder = await readLockHolder(lockDir);
  if (holder === undefined || isProcessAlive(holder)) return false;
  const aside = `${lockDir}.stale.${process.pid}.${randomHex(4)}`;
  try {
    await rename(lockDir, aside);
  } catch {
    return false; // another breaker was first, or the holder released it
  }
  const moved = await readLockHolder(aside);
  if (moved && isProcessAlive(moved)) {
    // Not the dead holder's lock any more: hand it back (fails only if a third process took the lock meanwhile).
    await rename(aside, lockDir).catch(() => undefined);
    return false;
  }
  await rm(aside, { recursive: true, force: true });
  return true;
}

/** Runs `fn` holding the lock; releases it however `fn` ends. */
export async function withDirLock<T>(lockDir: string, fn: () => Promise<T>, options: DirLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retryMs = options.retryMs ?? 10;
  const holder = currentProcessIdentity();
  const deadline = Date.now() + timeoutMs;
  while (!(await tryLockDir(lockDir, holder))) {
    if (await breakStaleLock(lockDir)) continue;
    if (Date.now() > deadline) {
      const h = await readLockHolder(lockDir);
      throw new NspodError('TIMEOUT', `lock ${lockDir} is still held${h ? ` by pid ${h.pid}` : ''} after ${timeoutMs} ms`, {
        hint: 'if no nspod process is running, remove the lock directory',
      });
    }
    await new Promise((r) => setTimeout(r, retryMs));
  }
  try {
    return await fn();
  } finally {
    await releaseLockDir(lockDir, holder);
  }
}

/**
 * Moved aside in one step, then removed: emptied in place, the lock dir
 * would be an empty directory that another taker's rename replaces, and our rmdir would then fail or remove its lock.
 * When the holder moved or removed the directory the lock guarded, the path may hold another directory's lock by
 * now (a pod of the same name made since): a lock aside that is not ours is handed back.
 */
async function releaseLockDir(lockDir: string, holder: ProcessIdentity): Promise<void> {
  const aside = `${lockDir}.released.${process.pid}.${randomHex(4)}`;
  try {
    await rename(lockDir, aside);
  } catch (e) {
    // Gone with its parent (the holder removed the directory it guarded): nothing to release.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const moved = await readLockHolder(aside);
  if (moved && (moved.pid !== holder.pid || moved.startTime !== holder.startTime)) {
    await rename(aside, lockDir).catch(() => rm(aside, { recursive: true, force: true }));
    return;
  }
  await rm(aside, { recursive: true, force: true });
}
