/** `nspod inspect`: one pod, whole, as JSON. */
import { Pod } from '../../pod/pod.js';
import { summarize } from '../format.js';
import { podOptions, type GlobalOptions } from '../options.js';
import { out } from '../output.js';

export async function inspect(name: string, g: GlobalOptions): Promise<number> {
  const pod = await Pod.load(name, podOptions(g));
  const status = await pod.status();
  const events = await pod.events();
  const security = await pod.security();
  out(
    `${JSON.stringify({ name: pod.name, spec: pod.spec, status, summary: summarize(pod.spec, status), security, events, dir: pod.dir }, null, 2)}\n`,
  );
  return 0;
}
