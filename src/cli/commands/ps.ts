/** `nspod ps`: a table or JSON of every pod, from the records: no runtime call. */
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
