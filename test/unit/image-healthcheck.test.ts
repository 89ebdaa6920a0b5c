import test from 'ava';
import { imageDefaults, imageHealthcheck } from '../../src/image/config.js';

test("an image's HEALTHCHECK: CMD as given, CMD-SHELL under /bin/sh -c, Docker's defaults for zero durations", (t) => {
  t.deepEqual(imageHealthcheck({ Test: ['CMD', 'pg_isready', '-U', 'postgres'] }), {
    argv: ['pg_isready', '-U', 'postgres'],
    intervalMs: 30_000,
    timeoutMs: 30_000,
    startPeriodMs: 0,
    startIntervalMs: 5_000,
    retries: 3,
  });
  const shell = imageHealthcheck({
    Test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'],
    Interval: 2e9,
    Timeout: 5e8,
    StartPeriod: 1e10,
    Retries: 5,
  });
  t.deepEqual(shell?.argv, ['/bin/sh', '-c', 'curl -f http://localhost/ || exit 1']);
  t.is(shell?.intervalMs, 2000);
  t.is(shell?.timeoutMs, 500);
  t.is(shell?.startPeriodMs, 10_000);
  t.is(shell?.retries, 5);
});

test('no HEALTHCHECK, NONE, or a Test with no command: none', (t) => {
  t.is(imageHealthcheck(undefined), undefined);
  t.is(imageHealthcheck({ Test: ['NONE'] }), undefined);
  t.is(imageHealthcheck({ Test: ['CMD'] }), undefined);
  t.is(imageHealthcheck({ Test: [] }), undefined);
  t.is(imageDefaults({ config: { Cmd: ['x'] } }).healthcheck, undefined);
  t.deepEqual(imageDefaults({ config: { Healthcheck: { Test: ['CMD', 'true'] } } }).healthcheck?.argv, ['true']);
});
