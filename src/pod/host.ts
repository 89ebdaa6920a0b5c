/** Facts read from, and small changes made to, the host: /proc, mounts, cgroups. */
import { readFileSync, statSync, watch, existsSync } from 'node:fs';
import { readFile, readdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { NspodError } from '../errors.js';

/** The caller's RLIMIT_NOFILE hard limit (containers never ask for more: raising it needs CAP_SYS_RESOURCE). */
export function nofileHardLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const hard = line?.trim().split(/\s{2,}/)[2];
    if (hard === 'unlimited') return 1_048_576;
    const n = Number(hard);
    return Number.isInteger(n) && n > 0 ? n : 1024;
  } catch {
    return 1024;
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot): with the pid, it names one process for good. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(rest[19]);
    return Number.isFinite(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/** The state letter of /proc/<pid>/stat (R, S, Z, ...), or undefined when there is no such process. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  const s = processState(pid);
  return s !== undefined && s !== 'Z' && s !== 'X';
}

/** One process for good: a pid and its start time (a reused pid has another). */
export interface ProcessIdentity {
  pid: number;
  startTime: number;
}

export function currentProcessIdentity(): ProcessIdentity {
  return { pid: process.pid, startTime: processStartTime(process.pid) ?? 0 };
}

/** Is this process still running (and not a later process that got its pid)? */
export function isProcessAlive(p: ProcessIdentity): boolean {
  return isAlive(p.pid) && processStartTime(p.pid) === p.startTime;
}

/** Inode number of a namespace file such as /proc/<pid>/ns/net. */
export function namespaceInode(file: string): number | undefined {
  try {
    return statSync(file).ino;
  } catch {
    return undefined;
  }
}

/** Is `target` a mount point (listed in /proc/self/mountinfo)? */
export function mountPoints(): Set<string> {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  const points = new Set<string>();
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (field) points.add(field.replace(/\\040/g, ' '));
  }
  return points;
}

/** Mount points at or below `dir`, deepest first (the order to unmount them). */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return [...mountPoints()].filter((m) => m === dir || m.startsWith(prefix)).sort((a, b) => b.length - a.length);
}

export async function mountOverlay(lower: string, upper: string, work: string, target: string): Promise<void> {
  const options = `lowerdir=${lower},upperdir=${upper},workdir=${work}`;
  const result = await execa('mount', ['-t', 'overlay', 'overlay', '-o', options, target], { reject: false, stdin: 'ignore' });
  if (result.exitCode !== 0) {
    throw new NspodError('MOUNT_FAILED', `overlay mount of ${lower} on ${target} failed: ${String(result.stderr).trim()}`, {
      hint: 'check that the kernel has overlayfs and that the image directory is not itself on an overlay upper dir',
    });
  }
}

export async function bindMountFile(source: string, target: string, options: string[] = []): Promise<void> {
  const result = await execa('mount', ['--bind', ...options, source, target], { reject: false, stdin: 'ignore' });
  if (result.exitCode !== 0) throw new NspodError('MOUNT_FAILED', `bind mount of ${source} on ${target} failed: ${String(result.stderr).trim()}`);
}

/** Unmounts every mount at or below `dir`; lazily when busy, so teardown never hangs on it. */
export async function unmountAll(dir: string): Promise<void> {
  const points = mountsUnder(dir);
  if (points.length === 0) return;
  const result = await execa('umount', points, { reject: false, stdin: 'ignore' });
  if (result.exitCode !== 0) {
    const left = mountsUnder(dir);
    if (left.length > 0) await execa('umount', ['--lazy', ...left], { reject: false, stdin: 'ignore' });
  }
}

/** Mount points of the cgroup hierarchies (v1 controllers and the v2 unified one). */
export function cgroupMounts(): string[] {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => / - cgroup2? /.test(l))
      .map((l) => l.split(' ')[4]!)
      .filter(Boolean);
  } catch {
    return [];
  }
}

/** Is this host on the unified (v2-only) cgroup hierarchy? */
export function cgroupVersion(): 'v1' | 'v2' | 'hybrid' {
  const lines = existsSync('/proc/self/mountinfo') ? readFileSync('/proc/self/mountinfo', 'utf8').split('\n') : [];
  const v2 = lines.some((l) => / - cgroup2 /.test(l));
  const v1 = lines.some((l) => / - cgroup /.test(l));
  if (v2 && !v1) return 'v2';
  return v2 ? 'hybrid' : 'v1';
}

/**
 * rmdir of a cgroup and its child cgroups, deepest first; true when it
 * existed and is gone. A cgroup whose last process is still exiting is
 * briefly busy, so EBUSY is retried for a moment.
 */
export async function removeCgroupTree(dir: string): Promise<boolean> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  for (const e of entries) if (e.isDirectory()) await removeCgroupTree(path.join(dir, e.name));
  for (let attempt = 0; ; attempt++) {
    try {
      await rmdir(dir);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return true;
      if (code !== 'EBUSY' || attempt >= 50) throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** Removes `<hierarchy>/<relative>` and what is below it in every cgroup hierarchy (the runtime removes only its leaf cgroups). */
export async function removeCgroupDirs(relative: string): Promise<void> {
  await Promise.all(
    cgroupMounts().map(async (mount) => {
      try {
        await removeCgroupTree(path.join(mount, relative));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // Busy with live processes: not ours to force (gc retries later).
        if (code !== 'EBUSY' && code !== 'ENOTEMPTY') throw e;
      }
    }),
  );
}

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

export async function readJson<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new NspodError('STATE_CORRUPT', `${file} is not valid JSON (a full disk, or a write cut short?)`, { hint: 'nspod rm -f the pod; nspod gc releases what is left' });
  }
}
