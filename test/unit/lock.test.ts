import test from 'ava';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { breakStaleLock, readLockHolder, tryLockDir, withDirLock } from '../../src/host/lock.js';
import { currentProcessIdentity } from '../../src/host/proc.js';

async function tmp(t: import('ava').ExecutionContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nspod-lock-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('withDirLock runs holders one at a time and leaves nothing behind', async (t) => {
  const dir = await tmp(t);
  const lock = path.join(dir, 'ports.lock');
  let inside = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: 8 }, () =>
      withDirLock(lock, async () => {
        inside++;
        most = Math.max(most, inside);
        t.deepEqual(await readLockHolder(lock), currentProcessIdentity());
        await new Promise((r) => setTimeout(r, 5));
        inside--;
      }),
    ),
  );
  t.is(most, 1);
  t.deepEqual(await readdir(dir), []);
  // Released even when the holder throws.
  await t.throwsAsync(
    withDirLock(lock, async () => Promise.reject(new Error('boom'))),
    { message: 'boom' },
  );
  t.deepEqual(await readdir(dir), []);
});

test("a lock whose holder is dead (or whose pid now names another process) is broken; a live holder's is not", async (t) => {
  const dir = await tmp(t);
  const lock = path.join(dir, 'ports.lock');
  // Our own pid with another start time: a pid reused by a later process.
  t.true(await tryLockDir(lock, { pid: process.pid, startTime: 1 }));
  t.false(await tryLockDir(lock));
  t.true(await breakStaleLock(lock));
  t.true(await withDirLock(lock, async () => true, { timeoutMs: 1000 }));
  t.true(await tryLockDir(lock));
  t.false(await breakStaleLock(lock));
  const err = await t.throwsAsync(withDirLock(lock, async () => true, { timeoutMs: 100 }));
  t.regex(err!.message, new RegExp(`lock .*ports\\.lock is still held by pid ${process.pid} after 100 ms`));
});

test('an empty lock dir (no holder in it) does not block: a new lock replaces it', async (t) => {
  const dir = await tmp(t);
  const lock = path.join(dir, 'ports.lock');
  // An empty dir is replaced by the atomic rename of a new lock.
  await mkdir(lock);
  t.true(await tryLockDir(lock));
  t.deepEqual(await readLockHolder(lock), currentProcessIdentity());
});
