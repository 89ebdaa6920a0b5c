import test from 'ava';
import { appendFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LogFollower } from '../../src/pod/logs.js';
import { previousLogPath } from '../../src/pod/store.js';

const line = (text: string) => `2026-01-01T00:00:00.000000000Z stdout F ${text}\n`;

test("a follower reads the end of the last run's log, then the new run's, in order", async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nspod-follow-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'app.log');
  t.is(previousLogPath(log), path.join(dir, 'app.previous.log'));
  await writeFile(log, line('one'));
  const seen: string[] = [];
  const follower = new LogFollower(log, (l) => seen.push(l.text));
  await follower.start(false);
  const wait = async (n: number) => {
    for (let i = 0; i < 200 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 20));
  };
  await wait(1);
  // The run ends with lines the follower has not read yet; the restart renames its log and the new run writes a longer one.
  await appendFile(log, line('two') + line('three'));
  await rename(log, previousLogPath(log));
  await writeFile(log, line('four') + line('five') + line('six') + line('seven'));
  await wait(7);
  await follower.stop();
  t.deepEqual(seen, ['one', 'two', 'three', 'four', 'five', 'six', 'seven']);
});
