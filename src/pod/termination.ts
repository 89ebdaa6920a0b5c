/**
 * Termination messages, as the kubelet has them: each run of a container gets a fresh, empty host file bind-mounted
 * writable at its terminationMessagePath (default /dev/termination-log); once it exits, the last bytes of that file
 * (at most 4096, less when the pod's containers would pass 12 KiB together) are its message, or, with
 * FallbackToLogsOnError, a failed run that left the file empty gets the last 80 lines (at most 2048 bytes) of its log.
 */
import { chmod, open, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerSpec, PodSpec } from '../spec/spec.js';
import { readLog } from './logs.js';

export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';
/** Kubernetes' limits: per container, across the pod's containers, and of the log's tail a fallback takes. */
const MAX_MESSAGE_BYTES = 4096;
const MAX_POD_MESSAGE_BYTES = 12 * 1024;
const FALLBACK_LOG_LINES = 80;
const FALLBACK_LOG_BYTES = 2048;

/** The host file of a container's termination message: in its dir under the pod's, so it goes with the pod. */
export function terminationLogFile(containerDir: string): string {
  return path.join(containerDir, 'termination-log');
}

/** Where the container sees its termination message file. */
export function terminationMessagePath(c: Pick<ContainerSpec, 'terminationMessagePath'>): string {
  return c.terminationMessagePath ?? DEFAULT_TERMINATION_MESSAGE_PATH;
}

/** A fresh, empty file for this run, writable by whatever user the container runs as (the kubelet makes it 0666 too). */
export async function prepareTerminationLog(file: string): Promise<void> {
  await rm(file, { force: true });
  await writeFile(file, '', { mode: 0o666 });
  // writeFile's mode is cut by the umask.
  await chmod(file, 0o666);
}

/** The bytes one container's message may have: 4096, or its share of the pod's 12 KiB when they are many (the docs' rule). */
export function terminationMessageLimit(spec: Pick<PodSpec, 'containers' | 'initContainers'>): number {
  const count = spec.containers.length + (spec.initContainers ?? []).length;
  return Math.min(MAX_MESSAGE_BYTES, Math.floor(MAX_POD_MESSAGE_BYTES / Math.max(1, count)));
}

/** The last `max` bytes of a file (as the kubelet's tail.ReadAtMost reads it); undefined when there is no file. */
async function readLastBytes(file: string, max: number): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const size = (await handle.stat()).size;
    const length = Math.min(size, max);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, size - length);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The last 80 lines of a log, cut at 2048 bytes, as the kubelet's fallback reads them. */
async function logFallback(logPath: string): Promise<string> {
  const lines = await readLog(logPath, { tail: FALLBACK_LOG_LINES }).catch(() => []);
  const text = lines.map((l) => (l.partial ? l.text : `${l.text}\n`)).join('');
  return Buffer.from(text).subarray(0, FALLBACK_LOG_BYTES).toString();
}

/** The termination message of a run that exited with `exitCode`; '' when it left none. */
export async function readTerminationMessage(
  c: { dir: string; logPath: string; spec?: Pick<ContainerSpec, 'terminationMessagePolicy'> | undefined },
  exitCode: number,
  limit: number,
): Promise<string> {
  const fallback = c.spec?.terminationMessagePolicy === 'FallbackToLogsOnError' && exitCode !== 0;
  let data: Buffer | undefined;
  try {
    data = await readLastBytes(terminationLogFile(c.dir), limit);
  } catch (e) {
    return `Error on reading termination log ${terminationLogFile(c.dir)}: ${(e as Error).message}`;
  }
  if (data !== undefined && data.length > 0) return data.toString();
  return fallback ? await logFallback(c.logPath) : '';
}
