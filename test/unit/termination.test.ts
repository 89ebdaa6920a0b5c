/** Termination messages read as the kubelet reads them: the file's last bytes, the pod's 12 KiB shared, the log's tail as a fallback. */
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { podSpecProblems } from '../../src/spec/spec.js';
import { prepareTerminationLog, readTerminationMessage, terminationLogFile, terminationMessageLimit } from '../../src/pod/termination.js';

const app = (name: string) => ({ name, image: 'busybox' });

test('each container may have 4096 bytes, or its share of 12 KiB when the pod has more than 3', (t) => {
  t.is(terminationMessageLimit({ containers: [app('a')] }), 4096);
  t.is(terminationMessageLimit({ containers: [app('a'), app('b')], initContainers: [app('i')] }), 4096);
  t.is(terminationMessageLimit({ containers: Array.from({ length: 12 }, (_, i) => app(`c${i}`)) }), 1024);
});

test('the last bytes of the file; with FallbackToLogsOnError an empty file of a failed run takes the last 80 lines of the log', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nspod-term-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const logPath = path.join(dir, 'c.log');
  const lines = Array.from({ length: 100 }, (_, i) => `2026-01-01T00:00:00Z stdout F line ${i}\n`).join('');
  await writeFile(logPath, `${lines}2026-01-01T00:00:00Z stderr P par\n2026-01-01T00:00:00Z stderr F tial\n`);
  const file = terminationLogFile(dir);
  await prepareTerminationLog(file);
  const fallback = { dir, logPath, spec: { terminationMessagePolicy: 'FallbackToLogsOnError' as const } };
  t.is(await readTerminationMessage(fallback, 0, 4096), '', 'a success takes nothing from the log');
  const tail = await readTerminationMessage(fallback, 1, 4096);
  t.true(tail.startsWith('line 22\n') && tail.endsWith('line 99\npartial\n'), tail);
  t.is(await readTerminationMessage({ dir, logPath }, 1, 4096), '', 'File takes nothing from the log');
  await writeFile(file, `${'x'.repeat(5000)}END`);
  const message = await readTerminationMessage(fallback, 1, 4096);
  t.is(message.length, 4096);
  t.true(message.endsWith('xEND'));
  await rm(file);
  t.is(await readTerminationMessage({ dir, logPath }, 1, 4096), '', 'no file: no message');
  const big = Array.from({ length: 80 }, (_, i) => `2026-01-01T00:00:00Z stdout F ${String(i).padEnd(40, '.')}\n`).join('');
  await writeFile(logPath, big);
  t.is(Buffer.byteLength(await readTerminationMessage(fallback, 1, 4096)), 2048, 'at most 2048 bytes of the log');
});

test('terminationMessagePath must be absolute; terminationMessagePolicy File or FallbackToLogsOnError', (t) => {
  const problems = podSpecProblems({
    name: 'p',
    containers: [{ name: 'a', image: 'busybox', terminationMessagePath: 'rel/file', terminationMessagePolicy: 'Always' as never }],
  });
  t.deepEqual(
    problems.map((p) => p.field).filter((f) => f.includes('termination')),
    ['containers[0].terminationMessagePath', 'containers[0].terminationMessagePolicy'],
  );
});
