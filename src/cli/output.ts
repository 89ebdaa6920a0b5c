/** Where the CLI writes: stdout, stderr, and a container's log line on the stream it came from. */
import type { LogLine } from '../pod/logs.js';

export const out = (s: string) => process.stdout.write(s);
export const err = (s: string) => process.stderr.write(s);

export function printLine(prefix: string, line: LogLine): void {
  const text = `${prefix}${line.text}${line.partial ? '' : '\n'}`;
  if (line.stream === 'stderr') err(text);
  else out(text);
}
