/** `nspod stop` (the pods stop, their state and logs stay) and `nspod rm` (their state goes too). */
import { errorMessage, NspodError } from '../../errors.js';
import { Pod } from '../../pod/pod.js';
import { testPoint } from '../../host/testpoint.js';
import { podOptions, usageError, type GlobalOptions } from '../options.js';
import { err, out } from '../output.js';

/**
 * Each name on its own, as docker and podman do: one that fails is reported on stderr and the rest are still
 * handled; exit 1 then, naming every pod that failed.
 */
async function eachPod(verb: string, names: string[], fn: (name: string) => Promise<void>): Promise<number> {
  const failed: string[] = [];
  for (const name of names) {
    try {
      await fn(name);
      out(`${name}\n`);
    } catch (e) {
      failed.push(name);
      err(`nspod: ${errorMessage(e)}\n`);
    }
  }
  if (failed.length === 0) return 0;
  if (names.length > 1) err(`nspod: could not ${verb} ${failed.join(', ')}\n`);
  return 1;
}

export async function stop(names: string[], o: { time?: string }, g: GlobalOptions): Promise<number> {
  const grace = o.time === undefined ? undefined : Number(o.time);
  if (grace !== undefined && (!Number.isFinite(grace) || grace < 0)) usageError(`--time takes seconds >= 0, not ${JSON.stringify(o.time)}`);
  return await eachPod('stop', names, async (name) => {
    const pod = await Pod.load(name, podOptions(g));
    await pod.stop(grace === undefined ? {} : { gracePeriodSeconds: grace });
  });
}

export async function rm(names: string[], o: { force?: boolean }, g: GlobalOptions): Promise<number> {
  return await eachPod('remove', names, async (name) => {
    const pod = await Pod.load(name, podOptions(g));
    if (!o.force) {
      const status = await pod.status();
      const running = status.phase !== 'Stopped' && (status.pause?.alive || status.containers.some((c) => c.state === 'running'));
      if (running) {
        throw new NspodError('POD_RUNNING', `pod ${name} is running`, { hint: `stop it first (nspod stop ${name}) or use nspod rm -f` });
      }
    }
    await testPoint('rm-loaded');
    await pod.remove({ gracePeriodSeconds: o.force ? 0 : undefined });
  });
}
