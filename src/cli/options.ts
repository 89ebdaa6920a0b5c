/** What every command is given: the global options, and how a command refuses its arguments (exit 2). */
import type { PodOptions } from '../pod/pod.js';

export interface GlobalOptions {
  root?: string;
  dataRoot?: string;
  runtime?: string;
  imageRoot?: string;
  debug?: boolean;
}

/** A command's refusal of its arguments, as commander's own usage errors are (not an NspodError: nothing failed). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Ends the command with a usage error: `nspod: <message>`, exit 2. */
export function usageError(message: string): never {
  throw new UsageError(message);
}

export function podOptions(g: GlobalOptions): PodOptions {
  return { root: g.root, dataRoot: g.dataRoot, runtime: g.runtime, imageRoot: g.imageRoot };
}
