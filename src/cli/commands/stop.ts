/**
 * `nspod stop` (the pods stop, their state and logs stay) and `nspod rm` (their state goes too). Several pods are
 * stopped side by side, a few at a time (each stop is a handful of runtime calls, mostly waiting); their names are
 * printed in the order given, each once it and those before it are done. One pod's failure does not keep the
 * others: each failure is printed, then (of several pods) a line naming those that failed, and the exit code is 1.
 */
import { NspodError, errorMessage } from '../../errors.js';
import { Pod } from '../../pod/pod.js';
import { testPoint } from '../../host/testpoint.js';
import { podOptions, usageError, type GlobalOptions } from '../options.js';
import { err, out } from '../output.js';

/** Pods stopped at once: enough to overlap their runtime calls, few enough not to crowd a small host. */
const AT_ONCE = 4;

export async function stop(names: string[], o: { time?: string }, g: GlobalOptions): Promise<number> {
  const grace = o.time === undefined ? undefined : Number(o.time);
  if (grace !== undefined && (!Number.isFinite(grace) || grace < 0)) usageError(`--time takes seconds >= 0, not ${JSON.stringify(o.time)}`);
  return await eachPod('stop', names, g, async (name) => {
    const pod = await Pod.load(name, podOptions(g));
    await pod.stop(grace === undefined ? {} : { gracePeriodSeconds: grace });
  });
}

export async function rm(names: string[], o: { force?: boolean }, g: GlobalOptions): Promise<number> {
  return await eachPod('remove', names, g, async (name) => {
    const pod = await Pod.load(name, podOptions(g));
    const status = await pod.status();
    const running = status.phase !== 'Stopped' && (status.pause?.alive || status.containers.some((c) => c.state === 'running'));
    if (running && !o.force) {
      throw new NspodError('POD_RUNNING', `pod ${name} is running`, { hint: `stop it first (nspod stop ${name}) or use nspod rm -f` });
    }
    await testPoint('rm-loaded');
    await pod.remove({ gracePeriodSeconds: o.force ? 0 : undefined });
  });
}

/** Runs `fn` for each pod, AT_ONCE at a time; prints the names done in order and the failures; 1 when any failed. */
async function eachPod(verb: string, names: string[], g: GlobalOptions, fn: (name: string) => Promise<void>): Promise<number> {
  const limit = limiter(AT_ONCE);
  const results = names.map((name) =>
    limit(() => fn(name)).then(
      () => undefined,
      (e: unknown) => e ?? new Error('failed'),
    ),
  );
  const failed: string[] = [];
  for (const [i, result] of results.entries()) {
    const e = await result;
    if (e === undefined) {
      out(`${names[i]}\n`);
      continue;
    }
    failed.push(names[i]!);
    err(`nspod: ${errorMessage(e)}\n`);
    if (g.debug && e instanceof Error) err(`${e.stack ?? ''}\n`);
  }
  if (failed.length > 0 && names.length > 1) err(`nspod: could not ${verb} ${failed.join(', ')}\n`);
  return failed.length > 0 ? 1 : 0;
}

/** Calls through it run at most `n` at a time, in the order they were made. */
function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
