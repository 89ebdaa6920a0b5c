/** Cgroup hierarchies: where they are mounted, which layout the host has, and removing a pod's cgroup dirs. */
import { existsSync, readFileSync, type Dirent } from 'node:fs';
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The cgroup hierarchies: mount point, and whether it is v1's cpuset (whose new cgroups hold no cpus until configured). */
function hierarchies(): { mount: string; cpuset: boolean }[] {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => / - cgroup2? /.test(l))
      .map((l) => ({ mount: l.split(' ')[4]!, cpuset: / - cgroup \S+ \S*\bcpuset\b/.test(l) }))
      .filter((h) => Boolean(h.mount));
  } catch {
    return [];
  }
}

/** Mount points of the cgroup hierarchies (v1 controllers and the v2 unified one). */
export function cgroupMounts(): string[] {
  return hierarchies().map((h) => h.mount);
}

/** Can a memory limit also limit swap here: cgroup v2 (runc skips memory.swap.max where swap is off), or v1 with memsw accounting. */
export function swapAccounting(): boolean {
  if (cgroupVersion() === 'v2') return true;
  const memory = hierarchies().find((h) => /\/memory$/.test(h.mount));
  return memory !== undefined && existsSync(path.join(memory.mount, 'memory.memsw.limit_in_bytes'));
}

/**
 * Moves a process into `<hierarchy>/<relative>` in every hierarchy but v1's cpuset, made as needed:
 * a pod's supervisors leave the cgroup of whoever created the pod, so that killing that cgroup (a
 * systemd unit stopped, a CI job ended) does not take them along. A process already gone is no error.
 */
export async function moveIntoCgroup(pid: number, relative: string): Promise<void> {
  for (const h of hierarchies()) {
    if (h.cpuset) continue;
    const dir = path.join(h.mount, relative);
    await mkdir(dir, { recursive: true });
    try {
      await writeFile(path.join(dir, 'cgroup.procs'), `${pid}\n`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') return;
      throw e;
    }
  }
}

/** Moves this process to the root cgroup of every hierarchy where it sits at or below `relative` (a cgroup with a process cannot be removed). */
async function leaveCgroup(relative: string): Promise<void> {
  const own = await readFile('/proc/self/cgroup', 'utf8').catch(() => '');
  if (!own.split('\n').some((l) => l.split(':')[2]?.startsWith(`/${relative}/`) || l.split(':')[2] === `/${relative}`)) return;
  for (const h of hierarchies()) {
    await writeFile(path.join(h.mount, 'cgroup.procs'), `${process.pid}\n`).catch(() => undefined);
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
      if (code !== 'EBUSY' || attempt >= 100) throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** SIGKILLs every process (this one excepted) in `<hierarchy>/<relative>` and below, in every hierarchy. */
export async function killCgroupProcesses(relative: string): Promise<void> {
  const pids = async (dir: string): Promise<number[]> => {
    const own = (await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
    const subs = await readdir(dir, { withFileTypes: true }).catch(() => [] as Dirent[]);
    const below = await Promise.all(subs.filter((e) => e.isDirectory()).map((e) => pids(path.join(dir, e.name))));
    return [...own, ...below.flat()];
  };
  const all = new Set((await Promise.all(cgroupMounts().map((m) => pids(path.join(m, relative))))).flat());
  for (const pid of all) {
    if (pid === process.pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** Removes `<hierarchy>/<relative>` and what is below it in every cgroup hierarchy (the runtime removes only its leaf cgroups). */
export async function removeCgroupDirs(relative: string): Promise<void> {
  // The supervisor that removes a pod (an exit command of its shim) lives in the pod's cgroup.
  await leaveCgroup(relative);
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
