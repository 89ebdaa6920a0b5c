/**
 * What programs say of their versions (`runc --version`, `pause -v`), remembered per binary: a binary's answer
 * changes only when the file does, so it is asked again only when its path, inode, size, mtime or ctime differ
 * from what the cache file holds. A cache that cannot be read or written is passed over: the programs are asked.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { childProcess } from './builtins.js';
import { readJson, writeJsonAtomic } from './files.js';
import { runProgram, type ProgramResult } from './program.js';

type Cache = Record<string, { file: string; answer: string }>;

export type VersionAnswer = { ok: true; version: string } | { ok: false; result: ProgramResult };

function fileKey(binary: string): string | undefined {
  try {
    const s = statSync(binary);
    return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch {
    return undefined;
  }
}

/**
 * The first line each `binary args` prints (stdout), from `cacheFile` when that binary's file is unchanged since it
 * was last asked; the others are run side by side. A program that fails is not remembered; its failure is returned.
 */
export async function programVersions(
  programs: { binary: string; args: string[] }[],
  cacheFile: string | undefined,
): Promise<VersionAnswer[]> {
  const cache = (cacheFile ? await readJson<Cache>(cacheFile).catch(() => undefined) : undefined) ?? {};
  let changed = false;
  const answers = await Promise.all(
    programs.map(async ({ binary, args }): Promise<VersionAnswer> => {
      const key = `${binary} ${args.join(' ')}`;
      const file = fileKey(binary);
      const hit = cache[key];
      if (file && hit && hit.file === file) return { ok: true, version: hit.answer };
      const result = await runProgram(binary, args);
      if (!result.ok) return { ok: false, result };
      const version = result.stdout.split('\n')[0] ?? '';
      if (file) {
        cache[key] = { file, answer: version };
        changed = true;
      }
      return { ok: true, version };
    }),
  );
  if (cacheFile && changed) await writeJsonAtomic(cacheFile, cache).catch(() => undefined);
  return answers;
}

/**
 * The same for one program, synchronously (for the callers that read host facts without awaiting): its first line of
 * stdout, or undefined when it fails; remembered in `cacheFile` like programVersions' answers.
 */
export function programVersionSync(binary: string, args: string[], cacheFile: string | undefined): string | undefined {
  const key = `${binary} ${args.join(' ')}`;
  const file = fileKey(binary);
  let cache: Cache = {};
  try {
    if (cacheFile) cache = JSON.parse(readFileSync(cacheFile, 'utf8')) as Cache;
  } catch {
    // no cache yet, or a torn one: ask
  }
  const hit = cache[key];
  if (file && hit && hit.file === file) return hit.answer;
  let version: string;
  try {
    version =
      childProcess()
        .execFileSync(binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .split('\n')[0] ?? '';
  } catch {
    return undefined;
  }
  if (cacheFile && file) {
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    try {
      // Its dir is made (root's alone) when the dir above it is there: a state root is never made here.
      if (!existsSync(path.dirname(cacheFile))) mkdirSync(path.dirname(cacheFile), { mode: 0o700 });
      writeFileSync(tmp, JSON.stringify({ ...cache, [key]: { file, answer: version } }, null, 2), { mode: 0o600 });
      renameSync(tmp, cacheFile);
    } catch {
      // no state root yet: a later call remembers it
    }
  }
  return version;
}
