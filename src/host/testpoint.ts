/**
 * Test hooks at named steps of create and stop, so that tests drive interruptions by step, never by timing:
 * - NSPOD_TEST_CRASH_AT=<step>: the process SIGKILLs itself when it reaches that step;
 * - NSPOD_TEST_BREAK_AT=<step>[,<step>...] with NSPOD_TEST_BREAK_DIR=<dir>: at that step the process writes
 *   `<dir>/<step>.<pid>` and waits until the test removes it.
 * Neither is set outside the tests; with neither set a step costs one env lookup.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Crashes here when NSPOD_TEST_CRASH_AT names this step. */
export function crashPoint(step: string): void {
  if (process.env.NSPOD_TEST_CRASH_AT === step) process.kill(process.pid, 'SIGKILL');
}

/** A crash point, then a break point: parks here while the test holds `<dir>/<step>.<pid>`. */
export async function testPoint(step: string): Promise<void> {
  crashPoint(step);
  const dir = process.env.NSPOD_TEST_BREAK_DIR;
  if (!dir || !(process.env.NSPOD_TEST_BREAK_AT ?? '').split(',').includes(step)) return;
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${step}.${process.pid}`);
  writeFileSync(file, '');
  while (existsSync(file)) await new Promise((r) => setTimeout(r, 10));
}
