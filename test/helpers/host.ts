/** Test helpers that look at the real host: state roots, leaks, processes, namespaces. */
import { mkdir, mkdtemp, rm, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { ExecutionContext } from 'ava';
import { mountsUnder } from '../../src/host/mounts.js';
import { dataRootFile, recordedDataRoot } from '../../src/paths.js';

export const RUNTIME = process.env.NSPOD_RUNTIME ?? 'runc';

/**
 * A fresh state root for one test, with a data root of its own beside it (named in the state root, so that every nspod
 * call on the root uses it and none touches the host's /var/lib/nspod); both removed when the test ends, pass or fail.
 */
export async function stateRoot(t: ExecutionContext, tag = 'test'): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), `nspod-${tag}-`));
  t.teardown(async () => {
    await forceClean(root);
  });
  await giveDataRoot(root);
  return root;
}

/** Names a fresh data root (`<root>.data`) in the state root `root`: forceClean(root) removes it. */
export async function giveDataRoot(root: string): Promise<string> {
  const dataRoot = `${root}.data`;
  await mkdir(dataRoot, { mode: 0o700 });
  await writeFile(dataRootFile(root), `${dataRoot}\n`);
  return dataRoot;
}

/** The data root a test's state root names (giveDataRoot). */
export function testDataRoot(root: string): string {
  const named = recordedDataRoot(root);
  if (!named) throw new Error(`${root} names no data root: make it with stateRoot(t)`);
  return named;
}

/** Kills and deletes every container under the root's runtime dirs and unmounts everything below it, then removes it. */
export async function forceClean(root: string): Promise<void> {
  for (const rt of ['runc', 'crun']) {
    const runtimeRoot = path.join(root, 'runtime', rt);
    if (!existsSync(runtimeRoot)) continue;
    const listed = await execa(rt, ['--root', runtimeRoot, 'list', '-q'], { reject: false });
    for (const id of String(listed.stdout ?? '')
      .split('\n')
      .filter(Boolean)) {
      await execa(rt, ['--root', runtimeRoot, 'kill', id, 'KILL'], { reject: false });
      await execa(rt, ['--root', runtimeRoot, 'delete', '--force', id], { reject: false });
    }
  }
  for (const m of mountsUnder(root)) await execa('umount', ['--lazy', m], { reject: false });
  // The pods' cgroups too: a test that failed before its `rm -f` must not leave them on the host.
  for (const dir of await readdir(path.join(root, 'pods')).catch(() => [] as string[])) {
    const record = await readFile(path.join(root, 'pods', dir, 'pod.json'), 'utf8').catch(() => undefined);
    const { name, uid } = record ? (JSON.parse(record) as { name?: string; uid?: string }) : {};
    if (name && uid) await forceRemovePodCgroup(`nspod/${name}-${uid}`);
  }
  await rm(root, { recursive: true, force: true });
  await rm(`${root}.data`, { recursive: true, force: true });
}

/** Kills what is left in a pod's cgroup (shims, an exit command they started) and removes it in every hierarchy. */
async function forceRemovePodCgroup(relative: string): Promise<void> {
  const { cgroupMounts, removeCgroupDirs } = await import('../../src/host/cgroups.js');
  const procs = async (dir: string): Promise<number[]> => {
    const own = (await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
    const subs = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const below = await Promise.all(subs.filter((e) => e.isDirectory()).map((e) => procs(path.join(dir, e.name))));
    return [...own, ...below.flat()];
  };
  for (let attempt = 0; attempt < 50; attempt++) {
    const left = (await Promise.all(cgroupMounts().map((m) => procs(path.join(m, relative))))).flat();
    for (const pid of new Set(left)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (left.length === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await removeCgroupDirs(relative).catch(() => undefined);
}

/** Containers the runtime still lists under a root. */
export async function runtimeContainers(runtimeRoot: string, runtime = RUNTIME): Promise<string[]> {
  if (!existsSync(runtimeRoot)) return [];
  const r = await execa(runtime, ['--root', runtimeRoot, 'list', '-q'], { reject: false });
  return String(r.stdout ?? '')
    .split('\n')
    .filter(Boolean);
}

export async function nsInode(pid: number | 'self', ns: string): Promise<number> {
  const link = await readlink(`/proc/${pid}/ns/${ns}`);
  const m = /\[(\d+)\]/.exec(link);
  if (!m) throw new Error(`unexpected ns link ${link}`);
  return Number(m[1]);
}

export interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
  comm: string;
  /** The command line, arguments joined by spaces. */
  args: string;
}

export async function procInfo(pid: number): Promise<ProcInfo | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const field = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean).join(' ');
    return { pid, ppid: Number(field('PPid')), state: field('State').charAt(0), comm: field('Name'), args };
  } catch {
    return undefined;
  }
}

/** Every process (host pids) whose pid namespace has this inode. */
export async function processesInPidNamespace(inode: number): Promise<ProcInfo[]> {
  const out: ProcInfo[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      if ((await nsInode(pid, 'pid')) !== inode) continue;
    } catch {
      continue;
    }
    const info = await procInfo(pid);
    if (info) out.push(info);
  }
  return out;
}

/** Processes whose command line mentions `needle` (used to find leftovers of a test's own state root). */
export async function processesMentioning(needle: string): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replace(/\0/g, ' ');
      if (cmd.includes(needle)) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

/** Cgroup directories of a pod (`/nspod/<name>-<uid>`) left in any hierarchy. */
export async function podCgroupDirs(name: string): Promise<string[]> {
  const { cgroupMounts } = await import('../../src/host/cgroups.js');
  const found: string[] = [];
  for (const mount of cgroupMounts()) {
    const entries = await readdir(path.join(mount, 'nspod')).catch(() => [] as string[]);
    for (const e of entries) if (e.startsWith(`${name}-`) && /-[0-9a-f]{8}$/.test(e)) found.push(path.join(mount, 'nspod', e));
  }
  return found;
}

/**
 * How much slower than this host the tests' host is: NSPOD_TEST_TIME_FACTOR (default 1) scales every wait of the
 * suite (a VM under emulation sets it), so the tests are not loosened for everyone.
 */
export const TIME_FACTOR = Math.max(1, Number(process.env.NSPOD_TEST_TIME_FACTOR ?? 1) || 1);

/** The suite's one poller: calls `check` every 20 ms until it returns a value other than undefined; throws after `ms` × TIME_FACTOR. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, ms = 5000, what = 'condition'): Promise<T> {
  ms *= TIME_FACTOR;
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
