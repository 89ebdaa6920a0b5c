import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { keepsStateDir, Rollback, settle, StepLog } from '../../src/pod/steps.js';

test('a rollback runs every undo, last registered first, and returns what failed; each undo is told what failed before it', async (t) => {
  const ran: string[] = [];
  const told: string[][] = [];
  const rollback = new Rollback();
  rollback.add('claim', async (failed) => {
    ran.push('claim');
    told.push([...failed]);
  });
  rollback.add('pause', async () => {
    ran.push('pause');
    throw new Error('runc delete failed');
  });
  rollback.add('container', async (failed) => {
    ran.push('container');
    told.push([...failed]);
  });
  t.deepEqual(await rollback.run(), ['pause: runc delete failed']);
  t.deepEqual(ran, ['container', 'pause', 'claim']);
  t.deepEqual(told, [[], ['pause: runc delete failed']]);
  t.deepEqual(await rollback.run(), [], 'run once: the steps are gone');
});

test('a step log tries every step and collects the failures; settle returns a value or a message, never throws', async (t) => {
  const log = new StepLog();
  t.is(await log.attempt('one', async () => 1), 1);
  t.is(await log.attempt('two', async () => Promise.reject(new Error('busy'))), undefined);
  t.is(await log.attempt('three', async () => 3), 3);
  t.deepEqual(log.failures, ['two: busy']);
  t.deepEqual(await settle(async () => 'x'), { ok: true, value: 'x' });
  t.deepEqual(await settle(async () => Promise.reject(new Error('no'))), { ok: false, error: 'no' });
});

test('a state dir stays when a step failed, and goes when none did and nothing is mounted below it', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nspod-steps-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  t.true(keepsStateDir(true, dir));
  t.false(keepsStateDir(false, dir));
  t.true(keepsStateDir(false, '/proc'), 'a mount point itself counts');
});
