import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../paths.js';

const version = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** The nspod command line; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (command === 'version' || command === '--version') {
    process.stdout.write(`nspod ${version}\n`);
    return 0;
  }
  process.stderr.write('usage: nspod version\n');
  return command === undefined || command === '--help' ? 0 : 2;
}
