/**
 * The nspod command line: the hot commands (hot.ts) without commander, every other one through program.ts,
 * commander's wiring. Errors are one line, `nspod: <what failed>: <why> (<what to do>)`, exit 1; usage errors exit 2;
 * stack traces only with --debug.
 */
import { runHot } from './hot.js';
import { failed } from './output.js';

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    return await (runHot(argv) ?? (await import('./program.js')).runProgram(argv));
  } catch (e) {
    return failed(e, argv);
  }
}
