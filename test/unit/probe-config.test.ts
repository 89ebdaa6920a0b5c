import test from 'ava';
import { mkdtemp, rm, appendFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { escapeField, proberConfig } from '../../src/probe/config.js';
import { criLogLines } from '../../src/pod/logs.js';
import { appendEvent, readEvents, recordExitEvent } from '../../src/pod/events.js';

test('config fields escape %, spaces and control bytes; the empty string is %00; UTF-8 passes through', (t) => {
  t.is(escapeField('a b%c\nd'), 'a%20b%25c%0ad');
  t.is(escapeField(''), '%00');
  t.is(escapeField('héllo'), 'héllo');
});

test('the prober config has one record a line, with defaults and named ports resolved', (t) => {
  const text = proberConfig({
    podDir: '/run/nspod/pods/p',
    runtime: { binary: '/usr/sbin/runc', root: '/run/nspod/runtime/runc' },
    netns: '/proc/42/ns/net',
    pausePid: 42,
    containers: [
      {
        id: 'p.web',
        pidFile: '/c/web/pid',
        exitFile: '/c/web/exit',
        spec: {
          name: 'web',
          image: 'busybox',
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { httpGet: { port: 'http', path: '/healthz', httpHeaders: [{ name: 'X-A', value: 'b c' }] } },
          livenessProbe: { exec: { command: ['sh', '-c', 'test -f /tmp/ok'] }, periodSeconds: 2, failureThreshold: 1 },
        },
      },
    ],
  });
  t.is(
    text,
    [
      'pod /run/nspod/pods/p',
      'runtime /usr/sbin/runc /run/nspod/runtime/runc',
      'netns /proc/42/ns/net',
      'pause 42',
      'container web p.web /c/web/pid /c/web/exit',
      'probe 0 readiness 0 10 1 1 3 http 8080 /healthz X-A b%20c',
      'probe 0 liveness 0 2 1 1 1 exec sh -c test%20-f%20/tmp/ok',
      '',
    ].join('\n'),
  );
});

test('CRI log lines: partial lines are joined, foreign lines skipped', (t) => {
  const log = [
    '2024-01-01T00:00:00.000000000Z stdout P hel',
    '2024-01-01T00:00:00.000000001Z stdout F lo',
    'garbage',
    '2024-01-01T00:00:00.000000002Z stderr F ',
    '',
  ].join('\n');
  t.deepEqual(criLogLines(log), ['hello', '']);
});

test('events: appended as lines, torn lines skipped, the last 200 kept; an exit is recorded once', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nspod-events-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (let i = 0; i < 205; i++) await appendEvent(dir, { type: 'Normal', reason: 'Started', container: 'c', message: `n${i}` });
  await appendFile(path.join(dir, 'events.jsonl'), '{"torn":');
  const events = await readEvents(dir);
  t.is(events.length, 200);
  t.is(events[0]!.message, 'n5');
  t.is(events.at(-1)!.message, 'n204');
  const exit = { pid: 7, exitCode: 137, signal: 9, finishedAt: '2024-01-01T00:00:00.5Z', oomKilled: true };
  t.true(await recordExitEvent(dir, 'c', exit));
  t.false(await recordExitEvent(dir, 'c', exit));
  t.true(await recordExitEvent(dir, 'c', { ...exit, pid: 8 }), 'another run of the container is another exit');
  const reasons = (await readEvents(dir, 10)).map((e) => e.reason);
  t.deepEqual(reasons.slice(-4), ['OOMKilled', 'Exited', 'OOMKilled', 'Exited']);
});
