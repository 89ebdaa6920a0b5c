/** `nspod ps` (a table or JSON of every pod) and `nspod inspect` (one pod, whole). */
import { Pod } from '../../pod/pod.js';
import { psTable, summarize } from '../format.js';
import { podOptions, type GlobalOptions } from '../options.js';
import { out } from '../output.js';

export async function ps(o: { output?: string }, g: GlobalOptions): Promise<number> {
  const names = await Pod.list(podOptions(g));
  const rows = [];
  const json = [];
  for (const name of names) {
    let pod: Pod;
    try {
      pod = await Pod.load(name, podOptions(g));
    } catch {
      continue; // a pod being created or removed right now
    }
    const status = await pod.status();
    rows.push(summarize(pod.spec, status));
    json.push(status);
  }
  if (o.output === 'json') out(`${JSON.stringify(json, null, 2)}\n`);
  else out(psTable(rows));
  return 0;
}

export async function inspect(name: string, g: GlobalOptions): Promise<number> {
  const pod = await Pod.load(name, podOptions(g));
  const status = await pod.status();
  const events = await pod.events();
  out(
    `${JSON.stringify({ name: pod.name, spec: pod.spec, status, summary: summarize(pod.spec, status), events, dir: pod.dir }, null, 2)}\n`,
  );
  return 0;
}
