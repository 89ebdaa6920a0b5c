/** Where the CLI writes: stdout, stderr, and a container's log line on the stream it came from. */
import { errorMessage } from '../errors.js';
import type { LogLine } from '../pod/logs.js';
import { UsageError } from './options.js';

export const out = (s: string) => process.stdout.write(s);
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
