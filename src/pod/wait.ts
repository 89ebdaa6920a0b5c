/**
 * Waiting for a pod, for test suites: Ready (the probes), a log line, a port, an HTTP(S) answer, a command's exit 0,
 * the image's HEALTHCHECK. Each honours a timeout and an AbortSignal, and polls through `until` (the one home of
 * polling); waitAll composes them under one deadline.
 */
import http from 'node:http';
import tls from 'node:tls';
import { NspodError, errorMessage } from '../errors.js';
import type { PodSpec } from '../spec/spec.js';
import { exitedForGood, restartPolicy } from '../spec/restart.js';
import { checkFromNetns, connectInNetns } from '../probe/prober.js';
import type { ExecOptions, ExecResult } from '../runtime/runtime.js';
import type { ImageHealthcheck } from '../image/config.js';
import { LogFollower, logTailForError } from './logs.js';
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
  if ((c.probes ?? []).some((p) => p.lastResult === 'unknown'))
    return `container ${c.name} is ${state}; its probes' results are unknown: the pod's prober is gone (nspod gc starts it again)`;
  if (!probe) return `container ${c.name} is ${state}`;
  const output = probe.lastOutput ? `: ${probe.lastOutput}` : '';
  const result = probe.lastResult === 'failure' ? `failed ${probe.failures} time(s)${output}` : 'has not succeeded yet';
  return `container ${c.name} is ${state}; its ${probe.kind} probe (${probe.type}) ${result}`;
}

/** A container that exited and will not run again, said with its exit code and its last log lines. */
async function exitedError(pod: Waitable, c: ContainerStatus, outcome: string): Promise<NspodError> {
  const why = `${unreadyReason(c)}, and restartPolicy ${restartPolicy(pod.spec)} does not restart it${await logTailForError(c.logPath)}`;
  return new NspodError('RUNTIME_FAILED', `pod ${pod.name} ${outcome}: ${why}`, { hint: `see ${c.logPath}` });
}

/**
 * Rejects when the pod can no longer get where a wait waits for: it is stopped or failed, or one of its app containers
 * exited for good (as a pod with such a container never becomes Ready): a wait for it would only time out.
 */
async function assertPodMayServe(pod: Waitable, status: PodStatus, outcome: string): Promise<void> {
  if (status.phase === 'Failed' || status.phase === 'Stopped') {
    throw new NspodError('RUNTIME_FAILED', `pod ${pod.name} is ${status.phase} and ${outcome}`);
  }
  const gone = status.containers.find((c) => !c.init && exitedForGood(pod.spec, c));
  if (gone) throw await exitedError(pod, gone, outcome);
}

/** Resolves when the pod is Ready (every app container ready); rejects early when it cannot become so. */
export async function waitReady(pod: Waitable, options: WaitOptions = {}): Promise<PodStatus> {
  let last: PodStatus | undefined;
  return await until(
    async () => {
      last = await pod.status();
      if (last.ready) return last;
      await assertPodMayServe(pod, last, 'will not become ready');
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
  /** Only lines of this stream count; default both, stdout and stderr. */
  stream?: 'stdout' | 'stderr' | undefined;
}

/** Resolves when `times` lines of the container's log match `pattern` (a line split by the shim counts once, whole). */
export async function waitForLogLine(pod: Waitable, container: string, pattern: RegExp, options: LogLineOptions = {}): Promise<void> {
  const times = options.times ?? 1;
  const c = await pod.container(container);
  let seen = 0;
  // A long line comes in pieces; the two streams' pieces interleave, so each has its own.
  const partial = { stdout: '', stderr: '' };
  const follower = new LogFollower(c.logPath, (line) => {
    partial[line.stream] += line.text;
    if (line.partial) return;
    const text = partial[line.stream];
    partial[line.stream] = '';
    if (options.stream !== undefined && line.stream !== options.stream) return;
    pattern.lastIndex = 0;
    if (pattern.test(text)) seen += 1;
  });
  await follower.start(0);
  const where = options.stream ? `the ${options.stream} of` : 'the log of';
  try {
    await until(
      async () => {
        if (seen >= times) return true;
        const now = await pod.container(container);
        if (now.init || !exitedForGood(pod.spec, now)) return undefined;
        // It wrote all it will: what is left of its log is read before giving up.
        await follower.stop();
        if (seen >= times) return true;
        throw await exitedError(pod, now, `has not logged ${times} line(s) matching ${String(pattern)}`);
      },
      () => `${seen} of ${times} line(s) matching ${String(pattern)} in ${where} ${pod.name}/${container} (${c.logPath})`,
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
      if (r.ok) return true;
      await assertPodMayServe(pod, await pod.status(), `will not listen on ${port}`);
      return undefined;
    },
    () => `nothing listens on 127.0.0.1:${port} in pod ${pod.name}: ${output}`,
    options,
  );
}

export interface HttpWaitOptions extends WaitOptions {
  port: number;
  /** Default `/`. */
  path?: string | undefined;
  /** Default GET. */
  method?: string | undefined;
  /** Speak TLS. Any certificate is accepted (a test service's self-signed one) unless `ca` is given. */
  https?: boolean | undefined;
  /** With https: the certificate must be issued by this CA (PEM), for the name `servername` (default localhost). */
  ca?: string | Buffer | undefined;
  servername?: string | undefined;
  /** Headers sent with the request. */
  headers?: Record<string, string> | undefined;
  /** The status to wait for; default any of 200-399. */
  status?: number | undefined;
  /** The body must contain this string, or match this RegExp. */
  body?: string | RegExp | undefined;
  /** Headers the response must have: equal to the string (case-insensitive name), or matching the RegExp. */
  responseHeaders?: Record<string, string | RegExp> | undefined;
  /** Milliseconds one request may take; default 2000. */
  requestTimeout?: number | undefined;
}

const BODY_MAX = 1 << 20;

/** One HTTP(S) request from inside the pod's netns: '' when the answer is the one waited for, else what it was. */
async function httpAttempt(pod: Waitable, o: HttpWaitOptions, path: string): Promise<string> {
  const conn = connectInNetns(podNetns(pod), o.port);
  const socket = o.https
    ? tls.connect({
        socket: conn.socket,
        rejectUnauthorized: o.ca !== undefined,
        ...(o.ca !== undefined ? { ca: o.ca } : {}),
        servername: o.servername ?? 'localhost',
      })
    : conn.socket;
  try {
    return await new Promise<string>((resolve) => {
      // The relay's own words (it could not connect) say more than the EPIPE or reset they cause here.
      const failed = (e: unknown) => {
        socket.destroy();
        void conn.error().then((said) => resolve(said || errorMessage(e, false)));
      };
      const req = http.request(
        {
          method: o.method ?? 'GET',
          path,
          headers: { host: `127.0.0.1:${o.port}`, 'user-agent': 'nspod-wait/1.0', connection: 'close', ...(o.headers ?? {}) },
          createConnection: () => socket as never,
          timeout: o.requestTimeout ?? 2000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            if (size < BODY_MAX) chunks.push(chunk);
            size += chunk.length;
          });
          res.on('error', failed);
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const body = Buffer.concat(chunks).toString('utf8');
            const head = `HTTP ${status}`;
            if (o.status === undefined ? status < 200 || status >= 400 : status !== o.status)
              return resolve(`${head}: ${body.slice(0, 200)}`);
            for (const [name, want] of Object.entries(o.responseHeaders ?? {})) {
              const value = res.headers[name.toLowerCase()];
              const got = value === undefined ? undefined : Array.isArray(value) ? value.join(', ') : value;
              const matches = got !== undefined && (typeof want === 'string' ? got === want : ((want.lastIndex = 0), want.test(got)));
              if (!matches)
                return resolve(`${head}, header ${name}: ${got === undefined ? 'missing' : JSON.stringify(got)}, not ${String(want)}`);
            }
            if (o.body !== undefined) {
              const want = o.body;
              const matches = typeof want === 'string' ? body.includes(want) : ((want.lastIndex = 0), want.test(body));
              if (!matches)
                return resolve(
                  `${head}, body does not ${typeof want === 'string' ? 'contain' : 'match'} ${typeof want === 'string' ? JSON.stringify(want) : String(want)}: ${JSON.stringify(body.slice(0, 200))}`,
                );
            }
            resolve('');
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${o.requestTimeout ?? 2000} ms`)));
      req.on('error', failed);
      req.end();
    });
  } finally {
    socket.destroy();
    conn.socket.destroy();
  }
}

/**
 * Resolves when a request to http(s)://127.0.0.1:port/path, from inside the pod's network namespace, answers with the
 * status (and the body and headers, when asked for).
 */
export async function waitForHttp(pod: Waitable, options: HttpWaitOptions): Promise<void> {
  const path = options.path ?? '/';
  const url = `${options.https ? 'https' : 'http'}://127.0.0.1:${options.port}${path}`;
  let output = '';
  await until(
    async () => {
      output = await httpAttempt(pod, options, path);
      if (output === '') return true;
      await assertPodMayServe(pod, await pod.status(), `will not answer ${url}`);
      return undefined;
    },
    () =>
      `${options.method ?? 'GET'} ${url} in pod ${pod.name} did not answer ${options.status ?? '2xx/3xx'}${options.body !== undefined || options.responseHeaders ? ' as asked' : ''}: ${output}`,
    options,
  );
}

/** A pod a wait can run commands in. */
export interface Execable extends Waitable {
  exec(container: string | undefined, command: string[], options?: ExecOptions): Promise<ExecResult>;
}

export interface CommandWaitOptions extends WaitOptions {
  /** Milliseconds one run may take; default 5000. */
  commandTimeout?: number | undefined;
}

/** Rejects when the container has exited and will not run again (a wait for it would only time out). */
async function assertMayRun(pod: Waitable, container: string | undefined): Promise<void> {
  const c = await pod.container(container);
  if (!c.init && exitedForGood(pod.spec, c)) throw await exitedError(pod, c, 'will not run the command');
}

/** One run's result in a message: its exit code and the start of its output. */
function said(r: ExecResult): string {
  const out = `${r.stdout}${r.stderr}`.trim().slice(0, 300);
  return `exit code ${r.exitCode}${out ? `: ${out}` : ''}`;
}

/** Runs `argv` in the container (as `exec`) until it exits 0; resolves with that run's result. */
export async function waitForCommand(
  pod: Execable,
  container: string | undefined,
  argv: string[],
  options: CommandWaitOptions = {},
): Promise<ExecResult> {
  let last = 'not run yet';
  return await until(
    async () => {
      await assertMayRun(pod, container);
      try {
        const r = await pod.exec(container, argv, { timeoutMs: options.commandTimeout ?? 5000 });
        if (r.exitCode === 0) return r;
        last = said(r);
      } catch (e) {
        last = errorMessage(e, false);
      }
      return undefined;
    },
    () => `${JSON.stringify(argv)} in ${pod.name}/${container ?? pod.spec.containers[0]?.name} did not exit 0; the last run: ${last}`,
    options,
  );
}

/** A pod whose containers' image HEALTHCHECKs a wait can run. */
export interface HealthCheckable extends Execable {
  /** The HEALTHCHECK of the image of the container `name` means, undefined when it has none. */
  imageHealthcheck(container?: string): ImageHealthcheck | undefined;
}

/**
 * Resolves when the container's image HEALTHCHECK passes, run as Docker runs it: first one interval after the container
 * started (the start interval while in the start period), then one interval after each check ends, each cut at the
 * timeout; a failure in the start period does not count, `retries` failures in a row after it reject (Docker's
 * unhealthy). INVALID_SPEC when the image has no HEALTHCHECK (or `NONE`).
 */
export async function waitForHealthy(pod: HealthCheckable, container?: string, options: WaitOptions = {}): Promise<void> {
  const name = container ?? pod.spec.containers[0]?.name;
  const check = pod.imageHealthcheck(container);
  if (!check) {
    throw new NspodError('INVALID_SPEC', `the image of ${pod.name}/${name} has no HEALTHCHECK`, {
      hint: 'wait with waitForCommand, waitForHttp or waitReady (a readiness probe) instead',
    });
  }
  let run: string | undefined;
  let startedAt = 0;
  let nextAt = 0;
  let failures = 0;
  let last = 'not run yet';
  const delay = (now: number) => (now < startedAt + check.startPeriodMs ? check.startIntervalMs : check.intervalMs);
  await until(
    async () => {
      await assertMayRun(pod, container);
      const c = await pod.container(container);
      if (c.state !== 'running' || !c.startedAt) return undefined;
      if (run !== `${c.id}/${c.restartCount}/${c.startedAt}`) {
        // A new run of the container: Docker's health starts over with it.
        run = `${c.id}/${c.restartCount}/${c.startedAt}`;
        startedAt = Date.parse(c.startedAt);
        nextAt = startedAt + delay(startedAt);
        failures = 0;
      }
      if (Date.now() < nextAt) return undefined;
      let ok = false;
      try {
        const r = await pod.exec(container, check.argv, { timeoutMs: check.timeoutMs });
        ok = r.exitCode === 0;
        last = said(r);
      } catch (e) {
        last = errorMessage(e, false);
      }
      const ended = Date.now();
      nextAt = ended + delay(ended);
      if (ok) return true;
      if (ended >= startedAt + check.startPeriodMs) failures += 1;
      if (failures >= check.retries) {
        throw new NspodError(
          'RUNTIME_FAILED',
          `${pod.name}/${name} is unhealthy: its HEALTHCHECK failed ${failures} time(s) in a row; the last: ${last}`,
        );
      }
      return undefined;
    },
    () => `the HEALTHCHECK of ${pod.name}/${name} has not passed (${failures} failure(s) counted); the last run: ${last}`,
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
