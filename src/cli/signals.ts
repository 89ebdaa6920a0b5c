/** Ctrl-C and SIGTERM for commands that run until told to stop (run, logs -f, events -f). */
import { until } from '../pod/wait.js';

/** Calls `handler` on the first SIGINT or SIGTERM; later ones are ignored while it listens. Returns what stops listening. */
export function onStopSignal(handler: (signal: NodeJS.Signals) => void): () => void {
  let heard = false;
  const listener = (signal: NodeJS.Signals) => {
    if (heard) return;
    heard = true;
    handler(signal);
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}

/** Calls `look` every `interval` ms until it returns a value (resolves with it) or `signal` aborts (resolves undefined). */
export async function pollUntil<T>(signal: AbortSignal, look: () => Promise<T | undefined>, interval: number): Promise<T | undefined> {
  if (signal.aborted) return undefined;
  try {
    return await until(look, () => 'a stop signal', { timeout: Infinity, interval, signal });
  } catch (e) {
    if (signal.aborted && e === signal.reason) return undefined;
    throw e;
  }
}

/** Calls `look` every `interval` ms until it returns a value (resolves with it) or SIGINT/SIGTERM comes (resolves undefined). */
export async function pollUntilStopped<T>(look: () => Promise<T | undefined>, interval: number): Promise<T | undefined> {
  const stopped = new AbortController();
  const unlisten = onStopSignal((signal) => stopped.abort(signal));
  try {
    return await pollUntil(stopped.signal, look, interval);
  } finally {
    unlisten();
  }
}
