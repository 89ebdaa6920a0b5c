/** `nspod wait`: until a pod is ready, its apps have exited for good (exit code: theirs), or it is deleted. */
import { resolveStateRoot } from '../../paths.js';
import { Pod } from '../../pod/pod.js';
import { until } from '../../pod/wait.js';
import { isApp, podOutcome } from '../../spec/restart.js';
import { parseDuration } from '../format.js';
import { podOptions, usageError, type GlobalOptions } from '../options.js';
import { out } from '../output.js';

export async function wait(name: string, o: { for?: string; timeout?: string }, g: GlobalOptions): Promise<number> {
  const timeout = o.timeout === undefined ? 300_000 : parseDuration(o.timeout);
  if (timeout === undefined) usageError(`--timeout takes a duration such as 60s or 2m, not ${JSON.stringify(o.timeout)}`);
  const what = o.for ?? 'ready';
  const options = { timeout, interval: 200 };
  if (what === 'delete') {
    const root = resolveStateRoot(g.root);
    await until(
      async () => ((await Pod.list({ root })).includes(name) ? undefined : true),
      () => `pod ${name} still exists`,
      options,
    );
    return 0;
  }
  const pod = await Pod.load(name, podOptions(g));
  if (what === 'ready') {
    await pod.waitReady({ timeout });
    out(`${name} ready\n`);
    return 0;
  }
  const { status, outcome } = await until(
    async () => {
      const status = await pod.status();
      const outcome = podOutcome(pod.spec, status);
      return outcome && { status, outcome };
    },
    () => `pod ${name} still running`,
    options,
  );
  const apps = status.containers.filter(isApp);
  out(`${name} exited: ${apps.map((c) => `${c.name}=${c.exitCode ?? '-'}`).join(',')}\n`);
  return outcome.exitCode;
}
