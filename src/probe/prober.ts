/** The Node side of nspod-prober: start it for a pod, stop it (pid-reuse guarded), read what it wrote. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { NspodError } from '../errors.js';
import { assets } from '../paths.js';
import { isProcessAlive, processesRunning, processStartTime } from '../host/proc.js';
import { programStream, runProgram } from '../host/program.js';
import { proberConfig, type ProberConfigInput } from './config.js';

/** The running prober of a pod, as pod.json records it. */
export interface ProberRecord {
  pid: number;
  /** Start time of the pid (clock ticks since boot): guards against pid reuse. */
  startTime: number;
  config: string;
}

export interface ProbeResult {
  kind: 'startup' | 'readiness' | 'liveness';
  type: 'exec' | 'httpGet' | 'tcpSocket';
  successes: number;
  failures: number;
  /** `unknown`: the prober that wrote it is gone (nspod's status says so; the prober never writes it). */
  lastResult: 'none' | 'success' | 'failure' | 'unknown';
  lastProbeAt: string;
  /** The last probe's output (stdout+stderr, or the HTTP response head), at most 1 KiB. */
  lastOutput: string;
}

/** `<podDir>/probes/<container>.json`, written by the prober on every change. */
export interface ContainerProbeStatus {
  container: string;
  /** The run of the container these results are about. */
  pid: number;
  running: boolean;
  started: boolean;
  ready: boolean;
  updatedAt: string;
  probes: ProbeResult[];
}

export function probesDir(podDir: string): string {
  return path.join(podDir, 'probes');
}

/** Writes the config and starts the daemon; resolves once it runs (a bad config is refused before it forks). */
export async function startProber(input: ProberConfigInput, binary = assets.proberBinary): Promise<ProberRecord> {
  const dir = probesDir(input.podDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const config = path.join(dir, 'prober.conf');
  await writeFile(config, proberConfig(input), { mode: 0o600 });
  const result = await runProgram(binary, [config]);
  const pid = Number.parseInt(result.stdout.trim(), 10);
  if (result.exitCode !== 0 || !Number.isInteger(pid) || pid <= 0) {
    throw new NspodError('INTERNAL', `nspod-prober did not start: ${(result.stderr || result.message).trim()}`, {
      hint: 'run scripts/setup to rebuild pause/build',
    });
  }
  const startTime = processStartTime(pid);
  if (startTime === undefined) throw new NspodError('INTERNAL', `nspod-prober (pid ${pid}) exited right after it started`);
  return { pid, startTime, config };
}

/** The probers running for a pod dir, by their command line: one its starter did not live to record is found so too. */
export function probersOf(podDir: string, binary = assets.proberBinary): ProberRecord[] {
  const config = path.join(probesDir(podDir), 'prober.conf');
  return processesRunning([binary, config]).map((p) => ({ ...p, config }));
}

/** TERM, then KILL after `graceMs`; only if the pid is still the prober that was started. */
export async function stopProber(record: ProberRecord | undefined, graceMs = 2000): Promise<void> {
  if (!record || !isProcessAlive(record)) return;
  const ours = () => isProcessAlive(record);
  const gone = async (ms: number) => {
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 10))) if (!ours()) return true;
    return !ours();
  };
  try {
    process.kill(record.pid, 'SIGTERM');
  } catch {
    return;
  }
  if (await gone(graceMs)) return;
  try {
    process.kill(record.pid, 'SIGKILL');
  } catch {
    return;
  }
  await gone(graceMs);
}

/** The prober's view of one container, or undefined before its first write. */
export async function readProbeStatus(podDir: string, container: string): Promise<ContainerProbeStatus | undefined> {
  try {
    return JSON.parse(await readFile(path.join(probesDir(podDir), `${container}.json`), 'utf8')) as ContainerProbeStatus;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || e instanceof SyntaxError) return undefined;
    throw e;
  }
}

/** One connect (tcp) or GET (http) from inside a network namespace, by the prober's one-shot mode. */
export async function checkFromNetns(
  netns: string,
  check: { kind: 'tcp'; port: number } | { kind: 'http'; port: number; path: string },
  timeoutSeconds = 1,
  binary = assets.proberBinary,
): Promise<{ ok: boolean; output: string; status?: number | undefined }> {
  const args =
    check.kind === 'tcp'
      ? ['--check', 'tcp', netns, String(check.port), String(timeoutSeconds)]
      : ['--check', 'http', netns, String(check.port), check.path, String(timeoutSeconds)];
  const r = await runProgram(binary, args, { all: true });
  const output = r.all;
  const status = /^HTTP\/\d\.\d (\d{3})/.exec(output)?.[1];
  return {
    ok: r.exitCode === 0,
    output: r.exitCode === undefined && r.signal === 'SIGALRM' ? `timed out after ${timeoutSeconds}s` : output.trim(),
    status: status === undefined ? undefined : Number(status),
  };
}

/**
 * A TCP connection to 127.0.0.1:port from inside the network namespace `netns`, as a duplex stream (nspod-prober
 * --connect relays it over its stdin and stdout): speak HTTP or TLS over it from outside the pod. `error()` resolves
 * with what the relay said when it could not connect, once it exited ('' when it said nothing within a second).
 */
export function connectInNetns(
  netns: string,
  port: number,
  binary = assets.proberBinary,
): { socket: Duplex; error: () => Promise<string> } {
  const relay = programStream(binary, ['--connect', netns, String(port)]);
  const error = async () => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([relay.closed, new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
    clearTimeout(timer);
    return relay.stderr();
  };
  return { socket: relay.stream, error };
}
