/**
 * Paths resolved inside a container's root, as runc's securejoin resolves them: component by component, every
 * symlink read and followed relative to the container's `/` (an absolute target starts over at it, `..` stops at it),
 * so no symlink in the container leads a read or a write to the host's files. The container's view of a path (its
 * rootfs, or the volume mounted there) is the caller's `RootView`.
 */
import { lstat, readlink } from 'node:fs/promises';
import { NspodError } from '../errors.js';

/** Where an in-container path is on the host: the rootfs, or the source of the mount it falls under. */
export interface RootView {
  /** `inner` is absolute, normalized, and has no symlink components left. */
  hostPath(inner: string): string;
}

/** Linux's limit on symlinks followed in one lookup (MAXSYMLINKS). */
const MAX_SYMLINKS = 40;

const components = (p: string) => p.split('/').filter((c) => c !== '' && c !== '.');

/**
 * `inner` resolved in the container's root: every symlink on the way followed there (the last one too unless
 * `followLast` is false); a missing component ends the lookup, and the rest is taken as written (`..` lexically).
 */
export async function resolveInRoot(view: RootView, inner: string, options: { followLast?: boolean } = {}): Promise<string> {
  const followLast = options.followLast ?? true;
  let done: string[] = [];
  let todo = components(inner);
  let links = 0;
  let missing = false;
  while (todo.length > 0) {
    const c = todo.shift()!;
    if (c === '..') {
      done.pop();
      continue;
    }
    if (missing || (!followLast && todo.length === 0)) {
      done.push(c);
      continue;
    }
    const candidate = `/${[...done, c].join('/')}`;
    const host = view.hostPath(candidate);
    const st = await lstat(host).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
      throw e;
    });
    if (!st) {
      missing = true;
      done.push(c);
      continue;
    }
    if (!st.isSymbolicLink()) {
      done.push(c);
      continue;
    }
    links += 1;
    if (links > MAX_SYMLINKS) {
      throw new NspodError('INVALID_SPEC', `${inner}: more than ${MAX_SYMLINKS} symlinks on the way (a loop?)`);
    }
    const target = await readlink(host);
    if (target.startsWith('/')) done = [];
    todo = [...components(target), ...todo];
  }
  return `/${done.join('/')}`;
}

/** The normalized absolute form of an in-container path, for messages and keys: `a/../b` → `/b`. */
export function innerPath(p: string): string {
  const out: string[] = [];
  for (const c of components(p)) {
    if (c === '..') out.pop();
    else out.push(c);
  }
  return `/${out.join('/')}`;
}
