/** What this host and runtime can do for a container's spec: the facts the pure builders take (src/oci/common.ts HostSpecFacts). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HostSpecFacts } from '../oci/common.js';
import { programVersionSync } from '../host/versions.js';

const CPUS = '/sys/devices/system/cpu';

/** `/sys/devices/system/cpu/cpu<N>/thermal_throttle`, the glob containerd and moby mask, expanded on this host. */
export function thermalThrottleDirs(root = CPUS): string[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^cpu\d+$/.test(n))
    .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)))
    .map((n) => path.join(root, n, 'thermal_throttle'))
    .filter((d) => existsSync(d));
}

/** Is `release` (uname -r: `6.1.0-18-amd64`) at least major.minor? */
export function kernelAtLeast(major: number, minor: number, release = os.release()): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

/** The runtime's version from its `--version` (`runc version 1.1.5`, `crun version 1.8.1`), or undefined. */
export function parseRuntimeVersion(text: string): { name: string; major: number; minor: number } | undefined {
  const m = /^(\S+) version (\d+)\.(\d+)/m.exec(text);
  return m ? { name: m[1]!, major: Number(m[2]), minor: Number(m[3]) } : undefined;
}

/** Does the runtime know the `rro` mount option (runc 1.1, crun 1.4)? An older runc ignores it without a word. */
export function runtimeHasRecursiveReadOnly(version: { name: string; major: number; minor: number } | undefined): boolean {
  if (!version) return false;
  const at = (major: number, minor: number) => version.major > major || (version.major === major && version.minor >= minor);
  if (version.name === 'runc') return at(1, 1);
  if (version.name === 'crun') return at(1, 4);
  return false;
}

/** CAP_SYS_RESOURCE's bit in /proc/self/status CapEff. */
const CAP_SYS_RESOURCE = 24n;

/** The lowest oom_score_adj this process may give a child: -1000 with CAP_SYS_RESOURCE, else its own (a sandbox without it). */
export function oomScoreAdjMin(status = readText('/proc/self/status'), own = readText('/proc/self/oom_score_adj')): number {
  const eff = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (eff !== undefined && (BigInt(`0x${eff}`) >> CAP_SYS_RESOURCE) & 1n) return -1000;
  const n = Number.parseInt(own.trim(), 10);
  return Number.isInteger(n) ? n : 0;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

const cache = new Map<string, HostSpecFacts>();

/** Where the runtimes' answers about themselves are remembered: next to their state dirs (`<root>/runtime/`). */
export function versionsFile(runtimeRoot: string): string {
  return path.join(path.dirname(runtimeRoot), 'versions.json');
}

/**
 * This host's facts for containers run by `binary`: read once per process. The runtime's `--version` is asked once
 * per binary when `runtimeRoot` is given (remembered in versionsFile until the binary changes), else once per process.
 */
export function hostSpecFacts(binary: string, runtimeRoot?: string): HostSpecFacts {
  let facts = cache.get(binary);
  if (!facts) {
    const version = parseRuntimeVersion(programVersionSync(binary, ['--version'], runtimeRoot && versionsFile(runtimeRoot)) ?? '');
    facts = {
      thermalThrottleDirs: thermalThrottleDirs(),
      recursiveReadOnly: kernelAtLeast(5, 12) && runtimeHasRecursiveReadOnly(version),
      oomScoreAdjMin: oomScoreAdjMin(),
    };
    cache.set(binary, facts);
  }
  return facts;
}
