import test from 'ava';
import { isNspodError } from '../../src/errors.js';
import { waitAll, waitForHttp, waitForLogLine, waitForPort } from '../../src/pod/wait.js';
import { testPod } from '../helpers/pods.js';

test('waitForLogLine waits for N matching lines of the CRI log, and times out saying how many it saw', async (t) => {
  const { pod } = await testPod(t, {
    network: 'none',
    // It ticks once the test says go, so the clock below starts before the first tick, however slow the create was.
    containers: [
      {
        name: 'ticker',
        image: 'busybox',
        command: [
          'sh',
          '-c',
          'until [ -e /tmp/go ]; do sleep 0.05; done; for i in 1 2 3; do echo tick $i; sleep 0.3; done; echo done >&2; sleep 3600',
        ],
      },
    ],
  });
  const start = Date.now();
  t.is((await pod.exec('ticker', ['touch', '/tmp/go'])).exitCode, 0);
  await waitForLogLine(pod, 'ticker', /^tick \d$/, { times: 3, timeout: 10_000 });
  t.true(Date.now() - start >= 500, 'the third tick comes after two sleeps');
  await waitForLogLine(pod, 'ticker', /^done$/, { timeout: 5_000 });
  const error = await t.throwsAsync(waitForLogLine(pod, 'ticker', /^tick/, { times: 4, timeout: 500 }));
  t.true(isNspodError(error, 'TIMEOUT'), String(error));
  t.regex(error!.message, /3 of 4 line\(s\) matching/);
});

test("waitForPort and waitForHttp connect inside the pod's netns (network none), once the server is up", async (t) => {
  const { pod } = await testPod(t, {
    network: 'none',
    containers: [
      {
        name: 'web',
        image: 'busybox',
        command: ['sh', '-c', 'until [ -e /tmp/go ]; do sleep 0.05; done; sleep 1; exec httpd -f -p 127.0.0.1:8080 -h /var/www'],
      },
    ],
  });
  const start = Date.now();
  t.is((await pod.exec('web', ['touch', '/tmp/go'])).exitCode, 0);
  await waitForPort(pod, 8080, { timeout: 10_000 });
  t.true(Date.now() - start >= 800);
  await waitForHttp(pod, { port: 8080, path: '/', timeout: 5_000 });
  await waitForHttp(pod, { port: 8080, path: '/no-such-page', status: 404, timeout: 5_000 });
  const error = await t.throwsAsync(waitForPort(pod, 8081, { timeout: 400 }));
  t.true(isNspodError(error, 'TIMEOUT'));
  t.regex(error!.message, /nothing listens on 127\.0\.0\.1:8081 .*Connection refused/);
});

test('waits honour an AbortSignal; waitAll composes them under one timeout', async (t) => {
  const { pod } = await testPod(t, {
    network: 'none',
    containers: [{ name: 'web', image: 'busybox', command: ['sh', '-c', 'echo ready; exec httpd -f -p 127.0.0.1:8080 -h /var/www'] }],
  });
  const controller = new AbortController();
  const reason = new Error('the test gave up');
  setTimeout(() => controller.abort(reason), 300);
  const start = Date.now();
  const aborted = await t.throwsAsync(waitForPort(pod, 9999, { timeout: 30_000, signal: controller.signal }));
  t.is(aborted, reason);
  t.true(Date.now() - start < 5_000);
  await waitAll(
    [
      (signal) => waitForLogLine(pod, 'web', /^ready$/, { signal }),
      (signal) => waitForPort(pod, 8080, { signal }),
      (signal) => waitForHttp(pod, { port: 8080, signal }),
    ],
    { timeout: 10_000 },
  );
  const timedOut = await t.throwsAsync(
    waitAll([(signal) => waitForPort(pod, 8080, { signal }), (signal) => waitForLogLine(pod, 'web', /never/, { signal })], {
      timeout: 500,
    }),
  );
  t.true(isNspodError(timedOut, 'TIMEOUT'), String(timedOut));
});
