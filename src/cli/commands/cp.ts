/** `nspod cp POD[:CONTAINER]:PATH HOSTPATH` and the reverse, as `docker cp`: through pod.copyIn and pod.copyOut. */
import { lstat, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { NspodError } from '../../errors.js';
import { Pod } from '../../pod/pod.js';
import { podOptions, usageError, type GlobalOptions } from '../options.js';

interface InPod {
  pod: string;
  container: string | undefined;
  path: string;
}

/** `POD:PATH` or `POD:CONTAINER:PATH`; a host path is `-`, or starts with `/` or `.` (as docker cp tells a local path with a colon). */
function inPod(arg: string): InPod | undefined {
  if (arg === '-' || arg.startsWith('/') || arg.startsWith('.')) return undefined;
  const m = /^([a-z0-9][a-z0-9.-]*)(?::([a-z0-9][a-z0-9-]*))?:(.*)$/.exec(arg);
  if (!m) return undefined;
  return { pod: m[1]!, container: m[2], path: m[3] === '' ? '/' : m[3]!.startsWith('/') ? m[3]! : `/${m[3]!}` };
}

/**
 * Out of a pod: into HOSTPATH when it is a directory (as HOSTPATH/NAME), else as HOSTPATH; `-` writes a tar stream
 * to stdout. Into a pod: HOSTPATH at PATH (in it when it is a directory there); `-` extracts a tar from stdin into PATH.
 */
export async function cp(from: string, to: string, g: GlobalOptions): Promise<number> {
  const source = inPod(from);
  const target = inPod(to);
  if ((source === undefined) === (target === undefined)) {
    usageError('cp: exactly one of SOURCE and DEST must be POD[:CONTAINER]:PATH, the other a host path or -');
  }
  if (source) {
    const pod = await Pod.load(source.pod, podOptions(g));
    if (to === '-') {
      await pipeline(await pod.copyOut(source.container, source.path), process.stdout);
      return 0;
    }
    const there = await lstat(to).catch(() => undefined);
    if (there?.isDirectory()) {
      await pod.copyOutTo(source.container, source.path, to);
      return 0;
    }
    if (there) throw new NspodError('INVALID_SPEC', `${to} exists and is not a directory`, { hint: 'remove it, or name a directory' });
    // A new name: extracted beside it first, then renamed to it.
    const staging = await mkdtemp(path.join(path.dirname(path.resolve(to)), '.nspod-cp-'));
    try {
      await pod.copyOutTo(source.container, source.path, staging);
      const [name] = await readdir(staging);
      await rename(path.join(staging, name!), to);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    return 0;
  }
  const dest = target!;
  const pod = await Pod.load(dest.pod, podOptions(g));
  if (from === '-') {
    await pod.copyIn(dest.container, dest.path, process.stdin);
    return 0;
  }
  if (!(await lstat(from).catch(() => undefined))) {
    throw new NspodError('INVALID_SPEC', `${from}: no such file or directory on the host`);
  }
  await pod.copyIn(dest.container, dest.path, { path: from });
  return 0;
}
