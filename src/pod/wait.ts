/**
 * Waiting for a pod, for test suites: Ready (the probes), a log line, a port, an HTTP answer.
 * Each honours a timeout and an AbortSignal; waitAll composes them under one deadline.
 */
import { NspodError } from '../errors.js';
import type { PodSpec } from '../spec/spec.js';
import { exitedForGood, restartPolicy } from '../spec/restart.js';
import { checkFromNetns } from '../probe/prober.js';
import { LogFollower } from './logs.js';
import type { ContainerStatus, PodStatus } from './status.js';

/** What a wait needs of a pod, and nothing more (testcontainers' waits get a container handle, never the builder). */
export interface Waitable {
  readonly name: string;
  readonly spec: PodSpec;
  /** The pause's pid: its /proc/<pid>/ns/net is the pod's network namespace. */
  readonly pausePid: number;
  status(): Promise<PodStatus>;
  /** The container `name` means (default: the first app container), or CONTAINER_NOT_FOUND. */
  container(name?: string): Promise<ContainerStatus>;
}

export interface WaitOptions {
  /** Milliseconds; default 60 s; Infinity waits until the signal aborts. */
  timeout?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Milliseconds between two looks; default 100. */
  interval?: number | undefined;
}

const DEFAULT_TIMEOUT = 60_000;

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Calls `look` until it returns a value, then resolves with it; `look` may throw to give up.
 * At the deadline rejects with TIMEOUT and `why()`; on abort with the signal's reason.
 */
export async function until<T>(look: () => Promise<T | undefined>, why: () => Promise<string> | string, options: WaitOptions): Promise<T> {
  const timeout = options.timeout ?? DEFAULT_TIMEOUT;
  const deadline = Date.now() + timeout;
  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason;
    const value = await look();
    if (value !== undefined) return value;
    const left = deadline - Date.now();
    if (left <= 0) throw new NspodError('TIMEOUT', `timed out after ${timeout} ms: ${await why()}`);
    await sleep(Math.min(options.interval ?? 100, left), options.signal);
  }
}

/** Why a container is not ready, with its last failed probe and that probe's output. */
export function unreadyReason(c: ContainerStatus): string {
  const failed = (c.probes ?? []).filter((p) => p.lastResult === 'failure' || (p.kind === 'startup' && !c.started));
  const probe = failed.find((p) => p.lastResult === 'failure') ?? failed[0];
  const running = c.started ? 'running, not ready' : 'running, not started';
  const state =
    c.state === 'exited' ? `exited with code ${c.exitCode}${c.oomKilled ? ' (OOMKilled)' : ''}` : c.state === 'running' ? running : c.state;
  if (!probe) return `container ${c.name} is ${state}`;
  const output = probe.lastOutput ? `: ${probe.lastOutput}` : '';
  const result = probe.lastResult === 'failure' ? `failed ${probe.failures} time(s)${output}` : 'has not succeeded yet';
  return `container ${c.name} is ${state}; its ${probe.kind} probe (${probe.type}) ${result}`;
}

/** Resolves when the pod is Ready (every app container ready); rejects early when it cannot become so. */
export async function waitReady(pod: Waitable, options: WaitOptions = {}): Promise<PodStatus> {
  const policy = restartPolicy(pod.spec);
  let last: PodStatus | undefined;
  return await until(
    async () => {
      last = await pod.status();
      if (last.ready) return last;
      if (last.phase === 'Failed' || last.phase === 'Stopped') {
        throw new NspodError('RUNTIME_FAILED', `pod ${pod.name} is ${last.phase} and will not become ready`);
      }
      const gone = last.containers.find((c) => !c.init && exitedForGood(pod.spec, c));
      if (gone) {
        const why = `${unreadyReason(gone)}, and restartPolicy ${policy} does not restart it`;
        throw new NspodError('RUNTIME_FAILED', `pod ${pod.name} will not become ready: ${why}`, { hint: `see ${gone.logPath}` });
      }
      return undefined;
    },
    () => {
      const unready = last?.containers.filter((c) => !c.init && !c.ready) ?? [];
      return `pod ${pod.name} is not ready: ${unready.map(unreadyReason).join('; ') || 'no status yet'}`;
    },
    options,
  );
}

export interface LogLineOptions extends WaitOptions {
  /** How many matching lines to wait for; default 1. */
  times?: number | undefined;
}

/** Resolves when `times` lines of the container's log match `pattern` (a line split by the shim counts once, whole). */
export async function waitForLogLine(pod: Waitable, container: string, pattern: RegExp, options: LogLineOptions = {}): Promise<void> {
  const times = options.times ?? 1;
  const c = await pod.container(container);
  let seen = 0;
  let partial = '';
  const follower = new LogFollower(c.logPath, (line) => {
    partial += line.text;
    if (line.partial) return;
    pattern.lastIndex = 0;
    if (pattern.test(partial)) seen += 1;
    partial = '';
  });
  await follower.start(0);
  try {
    await until(
      async () => (seen >= times ? true : undefined),
      () => `${seen} of ${times} line(s) matching ${String(pattern)} in the log of ${pod.name}/${container} (${c.logPath})`,
      options,
    );
  } finally {
    await follower.stop();
  }
}

/** The file of the pod's network namespace: the pause's (it lives as long as the pod). */
function podNetns(pod: Waitable): string {
  return `/proc/${pod.pausePid}/ns/net`;
}

/** Resolves when something accepts TCP connections on 127.0.0.1:port inside the pod's network namespace. */
export async function waitForPort(pod: Waitable, port: number, options: WaitOptions = {}): Promise<void> {
  let output = '';
  await until(
    async () => {
      const r = await checkFromNetns(podNetns(pod), { kind: 'tcp', port });
      output = r.output;
      return r.ok ? true : undefined;
    },
    () => `nothing listens on 127.0.0.1:${port} in pod ${pod.name}: ${output}`,
    options,
  );
}

export interface HttpWaitOptions extends WaitOptions {
  port: number;
  /** Default `/`. */
  path?: string | undefined;
  /** The status to wait for; default any of 200-399. */
  status?: number | undefined;
}

/** Resolves when GET http://127.0.0.1:port/path, from inside the pod's network namespace, answers with the status. */
export async function waitForHttp(pod: Waitable, options: HttpWaitOptions): Promise<void> {
  const path = options.path ?? '/';
  let output = '';
  await until(
    async () => {
      const r = await checkFromNetns(podNetns(pod), { kind: 'http', port: options.port, path });
      output = r.output.split('\n')[0] ?? '';
      const ok = options.status === undefined ? r.ok : r.status === options.status;
      return ok ? true : undefined;
    },
    () => `GET http://127.0.0.1:${options.port}${path} in pod ${pod.name} did not answer ${options.status ?? '2xx/3xx'}: ${output}`,
    options,
  );
}

/** A wait to compose: given the shared signal, it resolves or rejects. */
export type Wait = (signal: AbortSignal) => Promise<unknown>;

/** Runs the waits side by side under one timeout and signal; the first failure aborts the others. */
export async function waitAll(waits: Wait[], options: Omit<WaitOptions, 'interval'> = {}): Promise<void> {
  const controller = new AbortController();
  const timeout = options.timeout ?? DEFAULT_TIMEOUT;
  const timedOut = () => new NspodError('TIMEOUT', `timed out after ${timeout} ms waiting for ${waits.length} condition(s)`);
  const timer = setTimeout(() => controller.abort(timedOut()), timeout);
  const onAbort = () => controller.abort(options.signal!.reason);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.all(
      waits.map(async (w) => {
        try {
          await w(controller.signal);
        } catch (e) {
          controller.abort(e);
          throw e;
        }
      }),
    );
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}
