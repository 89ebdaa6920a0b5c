import test from 'ava';
import { mkdtemp, mkdir, writeFile, rm, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StateRoot, type PodRecord } from '../../src/pod/store.js';

async function withRoot(t: import('ava').ExecutionContext): Promise<StateRoot> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nspod-lock-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const store = new StateRoot(dir);
  await store.claim({ name: 'p', uid: '0000000a' } as PodRecord);
  return store;
}

test('the pod lock serialises holders', async (t) => {
  const store = await withRoot(t);
  const order: string[] = [];
  await Promise.all(
    ['a', 'b', 'c'].map((who) =>
      store.withLock('p', async () => {
        order.push(`${who}+`);
        await new Promise((r) => setTimeout(r, 30));
        order.push(`${who}-`);
      }),
    ),
  );
  for (let i = 0; i < order.length; i += 2) t.is(order[i]!.slice(0, 1), order[i + 1]!.slice(0, 1), order.join(' '));
});

test('a lock left by a dead process is broken; a live holder is waited for, then a timeout names it', async (t) => {
  const store = await withRoot(t);
  const lock = path.join(store.podDir('p'), '.lock');
  await mkdir(lock);
  await writeFile(path.join(lock, 'holder.json'), JSON.stringify({ pid: 999999999, startTime: 1 }));
  t.is(await store.withLock('p', async () => 'got it', 2000), 'got it');
  t.deepEqual(
    (await readdir(store.podDir('p'))).filter((f) => f.startsWith('.lock')),
    [],
    'no stale lock dir left',
  );
  await mkdir(lock);
  const { currentProcessIdentity } = await import('../../src/host/proc.js');
  const me = currentProcessIdentity();
  await writeFile(path.join(lock, 'holder.json'), JSON.stringify(me));
  const e = await t.throwsAsync(store.withLock('p', async () => 'never', 200));
  t.regex(e!.message, new RegExp(`pod p is locked by process ${process.pid}`));
});
