/**
 * What programs say of their versions (`runc --version`, `pause -v`), remembered per binary: a binary's answer
 * changes only when the file does, so it is asked again only when its path, inode, size, mtime or ctime differ
 * from what the cache file holds. A cache that cannot be read or written is passed over: the programs are asked.
 */
import { statSync } from 'node:fs';
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
