import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { execa, type ResultPromise } from 'execa';
import { packageRoot } from '../../src/paths.js';
import { RUNTIME } from './host.js';

export const NSPOD_BIN = path.join(packageRoot, 'bin', 'nspod.js');

/** Writes a manifest's text to `dir/name` for the CLI to read; returns its path. */
export async function writeManifest(dir: string, text: string, name = 'pod.yaml'): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

/**
 * Runs the real CLI as a user would (node bin/nspod.js), under a test's state root. `detached`: in a process group of
 * its own (its pid), so that what it started is still known by its group once it is killed.
 */
export function nspod(
  root: string,
  args: string[],
  options: { env?: Record<string, string>; input?: string; cwd?: string; detached?: boolean } = {},
) {
  return execa(process.execPath, [NSPOD_BIN, '--root', root, '--runtime', RUNTIME, ...args], {
    reject: false,
    stripFinalNewline: false,
    env: { NSPOD_RESTART_BACKOFF_MS: '100', ...options.env },
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' as const }),
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.detached ? { detached: true } : {}),
  });
}

/**
 * `nspod run -d` of a manifest's text under a test's state root (global flags such as `--image-root` first),
 * asserted to succeed; the pod is removed when the test ends, pass or fail.
 */
export async function runDetached(t: ExecutionContext, root: string, name: string, yaml: string, globalArgs: string[] = []): Promise<void> {
  const file = await writeManifest(root, yaml, `${name}.yaml`);
  t.teardown(() => nspod(root, [...globalArgs, 'rm', '-f', name]).then(() => undefined));
  const r = await nspod(root, [...globalArgs, 'run', '-d', file]);
  t.is(r.exitCode, 0, r.stderr);
}

/** Starts the CLI without waiting for it (foreground `run`). */
export function nspodSpawn(root: string, args: string[]): ResultPromise {
  return execa(process.execPath, [NSPOD_BIN, '--root', root, '--runtime', RUNTIME, ...args], {
    reject: false,
    stripFinalNewline: false,
    stdin: 'ignore',
    env: { NSPOD_RESTART_BACKOFF_MS: '100' },
  });
}

/**
 * nspod gc's output as far as a test's own pods go: gc sweeps empty pod cgroups host-wide, so another test's (gc.test
 * makes an old one on purpose) may show up in any test's gc; those lines are left out.
 */
export function gcOutputOf(stdout: string, pods: string[]): string {
  const lines = stdout.split('\n').filter((line) => {
    const cgroup = /^removed cgroup \/nspod\/(.+)-[0-9a-f]{8}\b/.exec(line);
    return line !== '' && (!cgroup || pods.includes(cgroup[1]!));
  });
  return lines.length > 0 ? `${lines.join('\n')}\n` : 'nothing to collect\n';
}
