/** `nspod gc`: collect what crashed creates and gone pods left behind, one line per thing removed. */
import { resolvePodOptions } from '../../pod/pod.js';
import { gcPods, type PodGcEntry } from '../../pod/gc.js';
import { podOptions, type GlobalOptions } from '../options.js';
import { out } from '../output.js';

/** One line per thing gc removed: what, whose, why. */
function gcLine(e: PodGcEntry): string {
  const verb = {
    container: 'removed container',
    mount: 'unmounted',
    network: 'released network attachment',
    prober: 'stopped prober pid',
    cgroup: 'removed cgroup',
    'state-dir': 'removed state dir',
    'data-dir': 'removed data dir',
    stop: 'finished the interrupted',
    'prober-restart': 'started a new prober, pid',
    exit: 'recorded the exit of container',
    bridge: 'removed bridge',
    'lease-dir': 'removed lease dir',
  }[e.kind];
  const whose = e.pod ? ` of pod ${e.pod}` : '';
  return `${e.error ? `failed: ${verb}` : verb} ${e.what}${whose} (${e.reason})${e.error ? `: ${e.error}` : ''}\n`;
}

export async function gc(o: { output?: string }, g: GlobalOptions): Promise<number> {
  const resolved = resolvePodOptions(podOptions(g));
  // gcPods runs gcNetworks first, while pinned netns still hold what CNI DEL releases.
  const report = await gcPods({ root: resolved.root, dataRoot: resolved.dataRoot, runtime: resolved.runtime });
  const failures = report.removed.filter((e) => e.error !== undefined).length;
  if (o.output === 'json') {
    out(`${JSON.stringify(report, null, 2)}\n`);
    return failures > 0 ? 1 : 0;
  }
  if (report.removed.length === 0) out('nothing to collect\n');
  for (const e of report.removed) out(gcLine(e));
  for (const f of report.failed)
    out(`kept failed pod ${f.pod} (its pause, pid ${f.pausePid}, is gone): read its logs, then nspod rm -f ${f.pod}\n`);
  return failures > 0 ? 1 : 0;
}
