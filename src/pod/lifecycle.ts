/**
 * Kubernetes' container lifecycle: the postStart and preStop hooks and the stop signal. A hook runs in the Node process
 * that starts or stops the container (`nspod run`, `nspod stop`, the exit-command supervisor of a detached pod): exec
 * through the runtime's exec, httpGet from inside the pod's network namespace as probes connect, sleep in Node.
 */
import { NspodError, errorMessage } from '../errors.js';
import { isAlive } from '../host/proc.js';
import { execOptionsFor } from './security.js';
import { checkFromNetns } from '../probe/prober.js';
import type { Runtime } from '../runtime/runtime.js';
import { resolveProbePort, type LifecycleHandler } from '../spec/spec.js';
import { signalNumber } from '../spec/signals.js';
import { appendEvent } from './events.js';
import { destroyContainer } from './container.js';
import type { ContainerRecord, PodRecord } from './store.js';

/** What running a hook needs of its pod. */
export interface HookContext {
  record: PodRecord;
  runtime: Runtime;
}

export interface HookResult {
  ok: boolean;
  /** What the handler said (exec: stdout and stderr; httpGet: the response head or the error), at most 1 KiB. */
  output: string;
}

/** After a failed preStop (or one cut short) the container still gets this much time after its stop signal, as in Kubernetes. */
export const MINIMUM_GRACE_MS = 2000;

/** The signal that stops a container: its lifecycle's, else its image's StopSignal, else SIGTERM. */
export function stopSignalOf(c: Pick<ContainerRecord, 'spec' | 'image'>): string {
  return c.spec?.lifecycle?.stopSignal ?? c.image?.stopSignal ?? 'SIGTERM';
}

/** What a handler is, for messages: `exec [sh -c exit 1]`, `httpGet :8080/quit`, `sleep 5s`. */
export function describeHandler(h: LifecycleHandler): string {
  if (h.exec) return `exec ${JSON.stringify(h.exec.command)}`;
  if (h.httpGet) return `httpGet :${h.httpGet.port}${h.httpGet.path ?? '/'}`;
  if (h.sleep) return `sleep ${h.sleep.seconds}s`;
  return `tcpSocket :${h.tcpSocket?.port}`;
}

const clip = (s: string) => (s.length > 1024 ? `${s.slice(0, 1024)}...` : s).trim();

/** Runs one hook's handler for the container `c`, giving up after `timeoutMs`; never throws. */
export async function runHandler(ctx: HookContext, c: ContainerRecord, h: LifecycleHandler, timeoutMs: number): Promise<HookResult> {
  const spec = c.spec;
  try {
    if (h.sleep) {
      await new Promise((r) => setTimeout(r, Math.min(h.sleep!.seconds * 1000, timeoutMs)));
      return { ok: true, output: '' };
    }
    if (h.exec) {
      // As the container's own user and groups, as pod.exec runs.
      const exec = ctx.runtime.exec(c.id, h.exec.command, await execOptionsFor(c, { timeoutMs: Math.max(1, timeoutMs) }));
      // The runtime's exec is sent TERM at the timeout; a command that ignores it is left to the container's kill.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs + 1000);
      });
      const r = await Promise.race([exec, late]).finally(() => clearTimeout(timer));
      const output = clip(`${r.stdout}${r.stderr}`);
      return r.exitCode === 0
        ? { ok: true, output }
        : { ok: false, output: `exited with code ${r.exitCode}${output ? `: ${output}` : ''}` };
    }
    if (h.httpGet) {
      const port = spec ? resolveProbePort(spec, h.httpGet.port) : typeof h.httpGet.port === 'number' ? h.httpGet.port : undefined;
      if (port === undefined) return { ok: false, output: `no port named ${JSON.stringify(h.httpGet.port)}` };
      const netns = ctx.record.network?.pin ?? `/proc/${ctx.record.pause?.pid}/ns/net`;
      const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
      const r = await checkFromNetns(netns, { kind: 'http', port, path: h.httpGet.path ?? '/' }, seconds);
      return { ok: r.ok, output: clip(r.output) };
    }
    return { ok: false, output: 'tcpSocket is not a lifecycle handler: Kubernetes keeps the field for old manifests and fails the hook' };
  } catch (e) {
    return { ok: false, output: clip(errorMessage(e)) };
  }
}

/**
 * Runs the container's postStart hook, if it has one, right after its start: until it returns the container does not
 * count as started (ContainerRecord.postStartPending). A failure is the event FailedPostStartHook with the handler's
 * output, and the container is killed: its restart policy decides what comes next. Returns whether it may go on.
 */
export async function runPostStart(ctx: HookContext, c: ContainerRecord): Promise<boolean> {
  const hook = c.spec?.lifecycle?.postStart;
  if (!hook) return true;
  const result = await runHandler(ctx, c, hook, 24 * 3600_000);
  if (result.ok) return true;
  const message = `postStart hook (${describeHandler(hook)}) of container ${c.name} failed: ${result.output || 'no output'}; killing it`;
  await appendEvent(ctx.record.dir, { type: 'Warning', reason: 'FailedPostStartHook', container: c.name, message });
  await ctx.runtime.kill(c.id, 'KILL').catch(() => undefined);
  return false;
}

/**
 * Stops a container as the kubelet does: its preStop hook first (when it runs and the grace period is not 0), within the
 * grace period counted from the hook's start; then its stop signal (event Killing naming it), KILL once the rest of the
 * grace period (at least 2 s after a preStop) is over, and the runtime's delete.
 */
export async function stopContainer(ctx: HookContext, c: ContainerRecord, graceMs: number): Promise<void> {
  const pid = c.pid ?? 0;
  const signal = stopSignalOf(c);
  let left = graceMs;
  const hook = c.spec?.lifecycle?.preStop;
  if (hook && graceMs > 0 && pid > 0 && isAlive(pid)) {
    const started = Date.now();
    const result = await runHandler(ctx, c, hook, graceMs);
    const spent = Date.now() - started;
    if (!result.ok || spent >= graceMs) {
      const why = result.ok ? `did not finish within the grace period of ${graceMs / 1000} s` : `failed: ${result.output || 'no output'}`;
      const message = `preStop hook (${describeHandler(hook)}) of container ${c.name} ${why}`;
      await appendEvent(ctx.record.dir, { type: 'Warning', reason: 'FailedPreStopHook', container: c.name, message });
    }
    left = Math.max(graceMs - spent, MINIMUM_GRACE_MS);
  }
  if (pid > 0 && isAlive(pid)) {
    const how = graceMs > 0 ? `with ${signal} (grace period ${Math.round(left / 100) / 10} s)` : 'with SIGKILL (no grace period)';
    await appendEvent(ctx.record.dir, {
      type: 'Normal',
      reason: 'Killing',
      container: c.name,
      message: `stopping container ${c.name} ${how}`,
    });
  }
  const number = signalNumber(signal);
  if (number === undefined) throw new NspodError('INVALID_SPEC', `container ${c.name}: ${JSON.stringify(signal)} names no signal`);
  await destroyContainer(ctx.runtime, c.id, c.exitFile, pid, left, String(number));
}
