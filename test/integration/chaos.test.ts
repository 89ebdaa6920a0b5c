/**
 * The chaos bench's short version (scripts/chaos.ts, issue 17; `npm run chaos` runs 200 cycles): one rotation of cycles (eleven) of a fixed
 * seed kill -9 `run -d` at every create step and `rm -f` at every stop step (NSPOD_TEST_CRASH_AT), both at random
 * delays, and race five `rm -f` of one pod; after each kill one `nspod gc` must leave nothing of any kind.
 */
import test from 'ava';
import { CREATE_STEPS, LEFTOVER_KINDS, ROTATION, STOP_STEPS, runChaos } from '../../scripts/chaos.js';
import { TIME_FACTOR } from '../helpers/host.js';
import { CHAOS_NET } from '../helpers/net-slots.js';

test('chaos: kill -9 at each create and stop step, at random delays, and five rm -f at once: after gc nothing of any kind is left', async (t) => {
  t.timeout(180_000 * TIME_FACTOR);
  const report = await runChaos({ cycles: ROTATION, seed: 17, net: CHAOS_NET });
  // The census sees every kind on a live pod, so its zeros below mean something.
  t.deepEqual(
    LEFTOVER_KINDS.filter((k) => report.livePod[k] === 0 && k !== 'data-dirs'),
    [],
    'kinds the census does not see on a live pod',
  );
  t.deepEqual(report.failures, []);
  t.deepEqual(report.leftovers, []);
  t.deepEqual(report.byKind, Object.fromEntries(LEFTOVER_KINDS.map((k) => [k, 0])));
  for (const step of [...CREATE_STEPS, ...STOP_STEPS]) t.true((report.kills.byStep[step] ?? 0) >= 1, `killed at ${step}`);
  t.is(report.raceCycles, 1);
  t.true(report.cniCycles >= 1);
});
