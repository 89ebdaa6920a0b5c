/** Processes as /proc tells them: identity (pid + start time), liveness, namespaces, limits. */
import { readdirSync, readFileSync, statSync } from 'node:fs';

/** The caller's RLIMIT_NOFILE hard limit (containers never ask for more: raising it needs CAP_SYS_RESOURCE). */
export function nofileHardLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const hard = line?.trim().split(/\s{2,}/)[2];
    if (hard === 'unlimited') return 1_048_576;
    const n = Number(hard);
    return Number.isInteger(n) && n > 0 ? n : 1024;
  } catch {
    return 1024;
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot): with the pid, it names one process for good. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(rest[19]);
    return Number.isFinite(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/** Field 4 of /proc/<pid>/stat: the parent's pid (a container's is its shim, the subreaper it was handed to). */
export function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** A process's name as /proc/<pid>/comm says it (its program's first 15 bytes), or undefined when it is gone. */
export function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trimEnd();
  } catch {
    return undefined;
  }
}

/** The state letter of /proc/<pid>/stat (R, S, Z, ...), or undefined when there is no such process. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  const s = processState(pid);
  return s !== undefined && s !== 'Z' && s !== 'X';
}

/** One process for good: a pid and its start time (a reused pid has another). */
export interface ProcessIdentity {
  pid: number;
  startTime: number;
}

export function currentProcessIdentity(): ProcessIdentity {
  return { pid: process.pid, startTime: processStartTime(process.pid) ?? 0 };
}

/** Is this process still running (and not a later process that got its pid)? */
export function isProcessAlive(p: ProcessIdentity): boolean {
  return isAlive(p.pid) && processStartTime(p.pid) === p.startTime;
}

/** Inode number of a namespace file such as /proc/<pid>/ns/net. */
export function namespaceInode(file: string): number | undefined {
  try {
    return statSync(file).ino;
  } catch {
    return undefined;
  }
}

/** The live processes whose command line is exactly `argv` (a daemon found by what it was started with, no record naming it). */
export function processesRunning(argv: readonly string[]): ProcessIdentity[] {
  const wanted = `${argv.join('\0')}\0`;
  const out: ProcessIdentity[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8') !== wanted || !isAlive(pid)) continue;
    } catch {
      continue;
    }
    const startTime = processStartTime(pid);
    if (startTime !== undefined) out.push({ pid, startTime });
  }
  return out;
}
