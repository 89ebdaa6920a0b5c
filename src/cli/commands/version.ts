/** `nspod version`: nspod's, its pause's and the runtime's versions. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { errorMessage } from '../../errors.js';
import { assets, packageRoot } from '../../paths.js';
import { Runtime } from '../../runtime/runtime.js';
import type { GlobalOptions } from '../options.js';
import { out } from '../output.js';

export async function version(g: GlobalOptions): Promise<number> {
  const nspod = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  out(`nspod ${nspod.version}\n`);
  const pause = await execa(assets.pauseBinary, ['-v'], { reject: false });
  out(`${pause.exitCode === 0 ? pause.stdout.trim() : 'pause: not built (run scripts/setup)'}\n`);
  try {
    const rt = Runtime.find(g.runtime);
    out(`${(await execa(rt.binary, ['--version'])).stdout.split('\n')[0]}\n`);
  } catch (e) {
    out(`runtime: ${errorMessage(e)}\n`);
  }
  return 0;
}
