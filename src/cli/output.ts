/** Where the CLI writes: stdout, stderr, and a container's log line on the stream it came from. */
import { writeSync } from 'node:fs';
import { errorMessage } from '../errors.js';
import type { LogLine } from '../pod/logs.js';
import { UsageError } from './options.js';

let stdoutStream = false;

/**
 * Writes to stdout with write(2), as Node itself writes to a file, pipe or terminal on Linux (synchronously), but
 * without building process.stdout (its stream costs a start a few ms). From the first write that does not go through
 * at once (EAGAIN, EPIPE), process.stdout takes over for the rest, so that Node's own handling applies and order holds.
 */
export function out(s: string): void {
  if (!stdoutStream) {
    const bytes = Buffer.from(s);
    let done = 0;
    try {
      while (done < bytes.length) done += writeSync(1, bytes, done);
      return;
    } catch {
      stdoutStream = true;
      process.stdout.write(bytes.subarray(done));
      return;
    }
  }
  process.stdout.write(s);
}
export const err = (s: string) => process.stderr.write(s);

export function printLine(prefix: string, line: LogLine): void {
  const text = `${prefix}${line.text}${line.partial ? '' : '\n'}`;
  if (line.stream === 'stderr') err(text);
  else out(text);
}

/** Prints a command's failure as its one line (and the stack with --debug); returns the exit code, 2 for usage. */
export function failed(e: unknown, argv: string[]): number {
  if (e instanceof UsageError) {
    err(`nspod: ${e.message}\n`);
    return 2;
  }
  err(`nspod: ${errorMessage(e)}\n`);
  if (argv.includes('--debug') && e instanceof Error) err(`${e.stack ?? ''}\n`);
  return 1;
}
