import test from 'ava';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { appendEvent, EVENTS_FILE_MAX, eventsFile, readEvents } from '../../src/pod/events.js';

test('events.jsonl is capped: past EVENTS_FILE_MAX it becomes events.jsonl.1, and readers read both, oldest first', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nspod-events-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const message = 'probe failed: '.padEnd(500, 'x');
  for (let i = 0; i < 5000; i++)
    await appendEvent(dir, { type: 'Warning', reason: 'ProbeFailed', container: 'c', message: `${i} ${message}` });
  const current = (await stat(eventsFile(dir))).size;
  const older = (await stat(`${eventsFile(dir)}.1`)).size;
  t.true(current < EVENTS_FILE_MAX && older <= EVENTS_FILE_MAX + 1024, `${current} ${older}`);
  const events = await readEvents(dir, 10_000);
  t.true(events.length > 500 && events.length < 5000);
  t.is(events.at(-1)!.message, `4999 ${message}`);
  // In order, none twice.
  const numbers = events.map((e) => Number(e.message.split(' ')[0]));
  t.deepEqual(
    numbers,
    Array.from({ length: numbers.length }, (_, i) => numbers[0]! + i),
  );
});
