/** `nspod events`: what happened to the pods, oldest first; with -f, new events as they come until Ctrl-C. */
import { Pod } from '../../pod/pod.js';
import type { PodEvent } from '../../pod/events.js';
import { eventsTable } from '../format.js';
import { podOptions, type GlobalOptions } from '../options.js';
import { out } from '../output.js';
import { pollUntilStopped } from '../signals.js';

export async function events(name: string | undefined, o: { follow?: boolean; output?: string }, g: GlobalOptions): Promise<number> {
  const names = name === undefined ? await Pod.list(podOptions(g)) : [name];
  const pods = await Promise.all(names.map((n) => Pod.load(n, podOptions(g))));
  const seen = new Set<string>();
  /** The events not printed yet, of every pod, by time. */
  const collect = async () => {
    const fresh: (PodEvent & { pod: string })[] = [];
    for (const pod of pods) {
      for (const e of await pod.events().catch(() => [])) {
        const key = `${pod.name} ${e.time} ${e.reason} ${e.container ?? ''} ${e.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        fresh.push({ pod: pod.name, ...e });
      }
    }
    return fresh.sort((a, b) => a.time.localeCompare(b.time));
  };
  const first = await collect();
  if (o.output === 'json') out(`${JSON.stringify(first, null, 2)}\n`);
  else out(eventsTable(first));
  if (!o.follow) return 0;
  await pollUntilStopped(async () => {
    const more = await collect();
    if (more.length > 0) out(eventsTable(more).split('\n').slice(1).join('\n'));
    return undefined;
  }, 250);
  return 0;
}
