/** Logs as a stream: pod.logs() as an async iterable, the onLog consumer, errors that carry a failed container's last lines. */
import test from 'ava';
import { Pod } from '../../src/pod/pod.js';
import type { LogEntry } from '../../src/pod/logs.js';
import { RUNTIME, stateRoot, TIME_FACTOR } from '../helpers/host.js';
import { podName } from '../helpers/pods.js';
import { assertNoLeftovers } from '../helpers/leftovers.js';

test('logs({ follow: true }) yields the lines written after the call, in order, and ends when the container exits; onLog sees every line of both containers', async (t) => {
  const root = await stateRoot(t, 'logs');
  const seen: (LogEntry & { container: string })[] = [];
  const late = Math.ceil(2 * TIME_FACTOR);
  const pod = await Pod.create(
    {
      name: podName('logs'),
      network: 'none',
      restartPolicy: 'Never',
      containers: [
        {
          name: 'a',
          image: 'busybox',
          command: ['sh', '-c', `echo early-1; echo early-2 >&2; sleep ${late}; for i in 1 2 3; do echo late-$i; done; echo late-err >&2`],
        },
        { name: 'b', image: 'busybox', command: ['sh', '-c', 'echo b-1; echo b-2 >&2; exec sleep 3600'] },
      ],
    },
    { root, runtime: RUNTIME, onLog: (e) => seen.push(e) },
  );
  t.teardown(() => pod.remove({ gracePeriodSeconds: 0 }).catch(() => undefined));
  const calledAt = Date.now();
  const lines: LogEntry[] = [];
  for await (const e of pod.logs('a', { follow: true })) lines.push(e);
  // The loop ended by itself: a exited for good (restartPolicy Never).
  t.is((await pod.container('a')).state, 'exited');
  const stdout = lines.filter((e) => e.stream === 'stdout').map((e) => e.line);
  t.deepEqual(stdout, ['early-1', 'late-1', 'late-2', 'late-3']);
  t.deepEqual(
    lines.filter((e) => e.stream === 'stderr').map((e) => e.line),
    ['early-2', 'late-err'],
  );
  for (const e of lines.filter((x) => x.line.startsWith('late'))) t.true(Date.parse(e.time) >= calledAt - 1000, `${e.line} at ${e.time}`);

  // What is there already: the last lines, from a time on, with timestamps.
  const all = async (o: Parameters<Pod['logs']>[1]) => {
    const out: LogEntry[] = [];
    for await (const e of pod.logs('a', o)) out.push(e);
    return out;
  };
  t.deepEqual(
    (await all({ tail: 2 })).map((e) => e.line),
    ['late-3', 'late-err'],
  );
  const lateFrom = lines.find((e) => e.line === 'late-1')!.time;
  t.deepEqual(
    (await all({ since: lateFrom })).map((e) => e.line),
    ['late-1', 'late-2', 'late-3', 'late-err'],
  );
  t.regex((await all({ tail: 1, timestamps: true }))[0]!.line, /^\d{4}-\d\d-\d\dT\S+Z late-err$/);

  await pod.remove({ gracePeriodSeconds: 0 });
  const byContainer = (name: string) => seen.filter((e) => e.container === name).map((e) => `${e.stream}:${e.line}`);
  t.deepEqual(byContainer('a'), ['stdout:early-1', 'stderr:early-2', 'stdout:late-1', 'stdout:late-2', 'stdout:late-3', 'stderr:late-err']);
  t.deepEqual(byContainer('b').sort(), ['stderr:b-2', 'stdout:b-1']);
  await assertNoLeftovers(t, root);
});

test('waitReady on a container that exits with "boom" on stderr rejects with its last log lines, "boom" among them', async (t) => {
  const root = await stateRoot(t, 'logs');
  const pod = await Pod.create(
    {
      name: podName('boom'),
      network: 'none',
      restartPolicy: 'Never',
      containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo starting; echo boom >&2; exit 3'] }],
    },
    { root, runtime: RUNTIME },
  );
  t.teardown(() => pod.remove({ gracePeriodSeconds: 0 }).catch(() => undefined));
  const error = await t.throwsAsync(pod.waitReady({ timeout: 30_000 * TIME_FACTOR }));
  t.is((error as { code?: string }).code, 'RUNTIME_FAILED');
  t.regex(error!.message, /exited with code 3, .*its last log lines \(up to 20\): starting \| boom/);
  await pod.remove({ gracePeriodSeconds: 0 });
  await assertNoLeftovers(t, root);
});
