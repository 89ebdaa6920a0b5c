/** `nspod stop` (the pods stop, their state and logs stay) and `nspod rm` (their state goes too). */
import { NspodError } from '../../errors.js';
import { Pod } from '../../pod/pod.js';
import { podOptions, usageError, type GlobalOptions } from '../options.js';
import { out } from '../output.js';

export async function stop(names: string[], o: { time?: string }, g: GlobalOptions): Promise<number> {
  const grace = o.time === undefined ? undefined : Number(o.time);
  if (grace !== undefined && (!Number.isFinite(grace) || grace < 0)) usageError(`--time takes seconds >= 0, not ${JSON.stringify(o.time)}`);
  for (const name of names) {
    const pod = await Pod.load(name, podOptions(g));
    await pod.stop(grace === undefined ? {} : { gracePeriodSeconds: grace });
    out(`${name}\n`);
  }
  return 0;
}

export async function rm(names: string[], o: { force?: boolean }, g: GlobalOptions): Promise<number> {
  for (const name of names) {
    const pod = await Pod.load(name, podOptions(g));
    const status = await pod.status();
    const running = status.phase !== 'Stopped' && (status.pause?.alive || status.containers.some((c) => c.state === 'running'));
    if (running && !o.force) {
      throw new NspodError('POD_RUNNING', `pod ${name} is running`, { hint: `stop it first (nspod stop ${name}) or use nspod rm -f` });
    }
    await pod.remove({ gracePeriodSeconds: o.force ? 0 : undefined });
    out(`${name}\n`);
  }
  return 0;
}
