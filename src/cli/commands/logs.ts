/** `nspod logs`: a container's output, from its CRI log; with -f, until the container exits for good. */
import { readLogUpTo, LogFollower, type LogLine } from '../../pod/logs.js';
import { exitedForGood, podOutcome } from '../../spec/restart.js';
import { Pod } from '../../pod/pod.js';
import { podOptions, usageError, type GlobalOptions } from '../options.js';
import { err, printLine } from '../output.js';
import { pollUntilStopped } from '../signals.js';

export interface LogsOptions {
  follow?: boolean;
  tail?: string;
  timestamps?: boolean;
}

export async function logs(name: string, container: string | undefined, o: LogsOptions, g: GlobalOptions): Promise<number> {
  const pod = await Pod.load(name, podOptions(g));
  const c = await pod.container(container);
  const others = pod.spec.containers.filter((x) => x.name !== c.name);
  if (container === undefined && others.length > 0) {
    err(`nspod: showing ${c.name}; the pod also has ${others.map((x) => x.name).join(', ')} (nspod logs ${name} CONTAINER)\n`);
  }
  const tail = o.tail === undefined ? undefined : Number(o.tail);
  if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) usageError(`--tail takes a whole number, not ${JSON.stringify(o.tail)}`);
  const prefix = (l: LogLine) => (o.timestamps ? `${l.time} ` : '');
  const read = await readLogUpTo(c.logPath, tail === undefined ? {} : { tail });
  for (const line of read.lines) printLine(prefix(line), line);
  if (!o.follow) return 0;
  const follower = new LogFollower(c.logPath, (line) => printLine(prefix(line), line));
  await follower.start(read.end); // right after what was printed: a line written meanwhile is neither lost nor doubled
  await pollUntilStopped(async () => {
    const s = await pod.status().catch(() => undefined);
    const now = s?.containers.find((x) => x.name === c.name);
    const over =
      !s ||
      s.phase === 'Stopped' ||
      s.phase === 'Failed' ||
      !now ||
      (now.state === 'exited' && (now.init || exitedForGood(pod.spec, now) || (now.sidecar && podOutcome(pod.spec, s) !== undefined)));
    return over ? true : undefined;
  }, 250);
  await follower.stop();
  return 0;
}
