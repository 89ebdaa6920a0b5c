/**
 * A pod's events: an append-only `<podDir>/events.jsonl`, one JSON object a line.
 * Node and the C prober both append whole lines with O_APPEND, in one write each. Capped: a writer that takes the
 * file past EVENTS_FILE_MAX renames it to events.jsonl.1 (one older generation; about 1 MB in all); readers read both.
 */
import { appendFile, mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import type { PodSpec } from '../spec/spec.js';
import { readExitRecord, type ExitRecord } from './status.js';
import type { ContainerRecord } from './store.js';
import { readTerminationMessage, terminationMessageLimit } from './termination.js';

export type EventType = 'Normal' | 'Warning';

export type EventReason =
  | 'Created'
  | 'Started'
  | 'ProbeFailed'
  | 'Killing'
  | 'FailedPostStartHook'
  | 'FailedPreStopHook'
  | 'Restarted'
  | 'BackOff'
  | 'Exited'
  | 'OOMKilled'
  | 'ProberLost'
  | 'ShimLost'
  | 'PodRestartInPlace';

export interface PodEvent {
  /** RFC 3339. */
  time: string;
  type: EventType;
  reason: EventReason | (string & {});
  container?: string | undefined;
  message: string;
}

/** The last this many events are kept when reading. */
export const EVENTS_KEPT = 200;

export function eventsFile(podDir: string): string {
  return path.join(podDir, 'events.jsonl');
}

/** Appends one event as one line (one write, so concurrent writers never interleave). */
export async function appendEvent(podDir: string, event: Omit<PodEvent, 'time'> & { time?: string }): Promise<void> {
  const { type, reason, container, message } = event;
  const line = JSON.stringify({ time: event.time ?? new Date().toISOString(), type, reason, container, message });
  const file = eventsFile(podDir);
  await appendFile(file, `${line}\n`, { flag: 'a', mode: 0o600 });
  if (((await stat(file).catch(() => undefined))?.size ?? 0) >= EVENTS_FILE_MAX) await rename(file, `${file}.1`).catch(() => undefined);
}

/** The size at which events.jsonl becomes events.jsonl.1 (pause/records.h has the same). */
export const EVENTS_FILE_MAX = 512 * 1024;

/** The pod's events, oldest first, at most the last `limit`; a torn or foreign line is skipped. */
export async function readEvents(podDir: string, limit = EVENTS_KEPT): Promise<PodEvent[]> {
  const read = (file: string) =>
    readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return '';
      throw e;
    });
  // The older generation first; read before the current file, so that a rotation in between loses nothing.
  const older = await read(`${eventsFile(podDir)}.1`);
  const text = older + (older === '' || older.endsWith('\n') ? '' : '\n') + (await read(eventsFile(podDir)));
  const events: PodEvent[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    // A writer that died mid-line leaves a torn prefix on the next line: the event starts at its last {"time".
    for (const text of [line, line.slice(Math.max(0, line.lastIndexOf('{"time"')))]) {
      try {
        const e = JSON.parse(text) as PodEvent;
        if (typeof e.reason === 'string' && typeof e.time === 'string') events.push(e);
        break;
      } catch {
        // a line being written right now, or damaged: not an event
      }
    }
  }
  return events.slice(-limit);
}

/** Creates `events.seen/<key>` exclusively: true for the one caller that made it (the one that records the event). */
async function firstToSee(podDir: string, key: string): Promise<boolean> {
  const seen = path.join(podDir, 'events.seen');
  // Not recursive: a pod dir removed meanwhile must not come back because a reader saw something.
  await mkdir(seen, { mode: 0o700 }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
  try {
    await (await open(path.join(seen, key), 'wx')).close();
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/**
 * Records `ProberLost` once per prober (pid + start time) that died while its pod ran, whoever notices it first
 * (`nspod events`, gc): its probes' results are unknown from then on. Returns whether this call recorded it.
 */
export async function recordProberLost(podDir: string, prober: { pid: number; startTime: number } | undefined): Promise<boolean> {
  if (!(await firstToSee(podDir, `_prober.${prober?.pid ?? 0}.${prober?.startTime ?? 0}`))) return false;
  const who = prober ? `the pod's prober (pid ${prober.pid}) is gone` : 'the pod has no prober';
  const message = `${who}: its probes' results are unknown, the containers it probes count as not ready and no liveness probe acts; nspod gc starts it again`;
  await appendEvent(podDir, { type: 'Warning', reason: 'ProberLost', message });
  return true;
}

/**
 * Records `Exited` (and `OOMKilled` before it when the kernel killed for memory) once per exit
 * record, however many readers see it: a marker file named after the run is created exclusively.
 * Returns whether this call recorded it.
 */
export async function recordExitEvent(podDir: string, container: string, exit: ExitRecord, terminationMessage = ''): Promise<boolean> {
  if (!(await firstToSee(podDir, `${container}.${exit.pid}.${exit.finishedAt.replace(/[^0-9A-Za-z]/g, '')}`))) return false;
  const how = exit.signal ? `killed by signal ${exit.signal} (exit code ${exit.exitCode})` : `exited with code ${exit.exitCode}`;
  if (exit.oomKilled) {
    const message = `container ${container} was killed by the kernel's OOM killer: it hit its memory limit (exit code ${exit.exitCode})`;
    await appendEvent(podDir, { time: exit.finishedAt, type: 'Warning', reason: 'OOMKilled', container, message });
  }
  const type = exit.exitCode === 0 ? 'Normal' : 'Warning';
  // As kubectl describe shows the terminated state's Message.
  const told = terminationMessage === '' ? '' : `; message: ${terminationMessage}`;
  await appendEvent(podDir, { time: exit.finishedAt, type, reason: 'Exited', container, message: `container ${container} ${how}${told}` });
  return true;
}

/**
 * Records the exits the shims wrote that no event tells yet (a container with no exit command wakes
 * nobody, and the C shim writes no events): run before the events are read, so they include them.
 */
export async function recordExits(podDir: string, containers: ContainerRecord[], spec: PodSpec): Promise<void> {
  for (const c of containers) {
    const exit = await readExitRecord(c.exitFile).catch(() => undefined);
    if (exit) await recordExitEvent(podDir, c.name, exit, await exitMessage(c, exit, spec)).catch(() => false);
  }
}

/** The termination message of the run an exit record ends ('' when it left none or it cannot be read). */
export async function exitMessage(c: ContainerRecord, exit: ExitRecord, spec: PodSpec): Promise<string> {
  return await readTerminationMessage(c, exit.exitCode, terminationMessageLimit(spec)).catch(() => '');
}
