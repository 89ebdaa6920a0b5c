/** What every command is given: the global options, and how a command refuses its arguments (exit 2). */
import { CommanderError } from 'commander';
import type { PodOptions } from '../pod/pod.js';

export interface GlobalOptions {
  root?: string;
  dataRoot?: string;
  runtime?: string;
  imageRoot?: string;
  debug?: boolean;
}

/** Ends the command with a usage error: `nspod: <message>`, exit 2. */
export function usageError(message: string): never {
  throw new CommanderError(2, 'nspod.usage', message);
}

export function podOptions(g: GlobalOptions): PodOptions {
  return { root: g.root, dataRoot: g.dataRoot, runtime: g.runtime, imageRoot: g.imageRoot };
}
