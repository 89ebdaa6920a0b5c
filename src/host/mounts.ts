/** Mounts: what is mounted where (/proc/self/mountinfo), and the overlay, bind and unmount calls nspod makes. */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { NspodError } from '../errors.js';
import { runProgram } from './program.js';

/** Every mount point of this mount namespace (from /proc/self/mountinfo). */
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
  const result = await runProgram('mount', ['-t', 'overlay', 'overlay', '-o', options, target]);
  if (result.exitCode !== 0) {
    throw new NspodError('MOUNT_FAILED', `overlay mount of ${lower} on ${target} failed: ${(result.stderr || result.message).trim()}`, {
      hint: 'check that the kernel has overlayfs and that the image directory is not itself on an overlay upper dir',
    });
  }
}

/**
 * Can this host mount an overlay: tried with a test mount in a scratch dir, since overlay is often a module
 * the first mount loads (it is then missing from /proc/filesystems although mounts work). Undefined when it can.
 */
export async function overlayMountProblem(scratch: string): Promise<string | undefined> {
  const dir = await mkdtemp(path.join(scratch, 'nspod-overlay-check-'));
  try {
    const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((d) => path.join(dir, d)) as [
      string,
      string,
      string,
      string,
    ];
    await Promise.all([lower, upper, work, merged].map((d) => mkdir(d)));
    try {
      await mountOverlay(lower, upper, work, merged);
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
    await unmountAll(merged);
    return undefined;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function bindMountFile(source: string, target: string, options: string[] = []): Promise<void> {
  const result = await runProgram('mount', ['--bind', ...options, source, target]);
  if (result.exitCode !== 0)
    throw new NspodError('MOUNT_FAILED', `bind mount of ${source} on ${target} failed: ${(result.stderr || result.message).trim()}`);
}

/** A tmpfs on `target` (Kubernetes' memory-backed volumes), of `sizeBytes` when given (the kernel's default otherwise). */
export async function mountTmpfs(target: string, options: { sizeBytes?: number | undefined; mode: number }): Promise<void> {
  const opts = [`mode=${options.mode.toString(8)}`, 'nodev', 'nosuid', ...(options.sizeBytes ? [`size=${options.sizeBytes}`] : [])];
  const result = await runProgram('mount', ['-t', 'tmpfs', '-o', opts.join(','), 'tmpfs', target]);
  if (result.exitCode !== 0)
    throw new NspodError('MOUNT_FAILED', `tmpfs mount on ${target} failed: ${(result.stderr || result.message).trim()}`);
}

/** Unmounts every mount at or below `dir`; lazily when busy, so teardown never hangs on it. */
export async function unmountAll(dir: string): Promise<void> {
  const points = mountsUnder(dir);
  if (points.length === 0) return;
  const result = await runProgram('umount', points);
  if (result.exitCode !== 0) {
    const left = mountsUnder(dir);
    if (left.length > 0) await runProgram('umount', ['--lazy', ...left]);
  }
}
