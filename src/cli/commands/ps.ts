/** `nspod ps` (a table or JSON of every pod, from the records: no runtime call) and `nspod inspect` (one pod, whole). */
import { listPods } from '../../pod/list.js';
import { psTable, summarize } from '../format.js';
import { podOptions, type GlobalOptions } from '../options.js';
import { out } from '../output.js';

export async function ps(o: { output?: string }, g: GlobalOptions): Promise<number> {
  const pods = await listPods(podOptions(g));
  if (o.output === 'json')
    out(
      `${JSON.stringify(
        pods.map((p) => p.status),
        null,
        2,
      )}\n`,
    );
  else out(psTable(pods.map((p) => summarize(p.record.spec, p.status))));
  return 0;
}

export async function inspect(name: string, g: GlobalOptions): Promise<number> {
  const { Pod } = await import('../../pod/pod.js');
  const pod = await Pod.load(name, podOptions(g));
  const status = await pod.status();
  const events = await pod.events();
  const security = await pod.security();
  out(
    `${JSON.stringify({ name: pod.name, spec: pod.spec, status, summary: summarize(pod.spec, status), security, events, dir: pod.dir }, null, 2)}\n`,
  );
  return 0;
}
