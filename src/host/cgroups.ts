/** Cgroup hierarchies: where they are mounted, which layout the host has, and removing a pod's cgroup dirs. */
import { existsSync, readFileSync, type Dirent } from 'node:fs';
import { readdir, rmdir } from 'node:fs/promises';
import path from 'node:path';

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
  let entries: Dirent[];
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
