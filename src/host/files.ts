/** Files nspod's state is made of: JSON records read and written atomically, and waiting for a file to appear. */
import { existsSync, readFileSync, watch } from 'node:fs';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { NspodError } from '../errors.js';
import { randomHex } from './builtins.js';

/**
 * Resolves when `file` exists, or `alive()` says the process it stands for is
 * gone; rejects with TIMEOUT after `timeoutMs`. inotify makes it prompt.
 */
export async function waitForFile(file: string, timeoutMs: number, alive?: () => boolean): Promise<boolean> {
  if (existsSync(file)) return true;
  return await new Promise<boolean>((resolve, reject) => {
    let done = false;
    const finish = (value: boolean | Error) => {
      if (done) return;
      done = true;
      watcher?.close();
      clearInterval(poll);
      clearTimeout(timer);
      if (value instanceof Error) reject(value);
      else resolve(value);
    };
    let watcher: ReturnType<typeof watch> | undefined;
    try {
      watcher = watch(path.dirname(file), (_event, name) => {
        if (name === path.basename(file) && existsSync(file)) finish(true);
      });
      watcher.on('error', () => undefined);
    } catch {
      watcher = undefined;
    }
    // The process is gone a moment before its shim has written the file (reap, write, fsync, rename): give it that moment.
    let goneSince: number | undefined;
    const poll = setInterval(() => {
      if (existsSync(file)) finish(true);
      else if (alive && !alive()) {
        goneSince ??= Date.now();
        if (Date.now() - goneSince > 3000) finish(false);
      }
    }, 25);
    const timer = setTimeout(() => finish(new NspodError('TIMEOUT', `timed out after ${timeoutMs} ms waiting for ${file}`)), timeoutMs);
    if (existsSync(file)) finish(true);
  });
}

/**
 * A JSON file, or undefined when there is none. Read synchronously: a record is a few kB, and each of an async read's
 * thread-pool round trips (open, stat, read, close) costs more than the read (`nspod ps` reads a few files a pod).
 */
export async function readJson<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new NspodError('STATE_CORRUPT', `${file} is not valid JSON (a full disk, or a write cut short?)`, {
      hint: 'nspod rm -f the pod; nspod gc releases what is left',
    });
  }
}

/**
 * Writes `value` as JSON to `file` through a temporary file renamed into place,
 * so a reader sees the old record or the new one, never a torn one.
 */
export async function writeJsonAtomic(
  file: string,
  value: unknown,
  options: { mode?: number; pretty?: boolean; mkdir?: boolean } = {},
): Promise<void> {
  // Opt-in: a record saved into a pod dir removed meanwhile must fail, not bring the dir back.
  if (options.mkdir) await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomHex(4)}.tmp`;
  try {
    await writeFile(tmp, options.pretty === false ? JSON.stringify(value) : JSON.stringify(value, null, 2), {
      mode: options.mode ?? 0o600,
    });
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Makes `dir` (and any missing parent) 0700, and chmods it to 0700 when it was there already: what nspod keeps
 * under it (records, bundles, the containers' rootfs) is root's alone.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}
