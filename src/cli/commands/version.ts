/** `nspod version`: nspod's, its pause's and the runtime's versions (the two programs asked side by side). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../../errors.js';
import { assets, packageRoot } from '../../paths.js';
import { runProgram } from '../../host/program.js';
import { Runtime } from '../../runtime/runtime.js';
import type { GlobalOptions } from '../options.js';
import { out } from '../output.js';

export async function version(g: GlobalOptions): Promise<number> {
  const nspod = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  const pause = runProgram(assets.pauseBinary, ['-v']);
  const runtime = (async () => {
    try {
      const r = await runProgram(Runtime.find(g.runtime).binary, ['--version']);
      return r.ok ? r.stdout.split('\n')[0] : `runtime: ${r.message}`;
    } catch (e) {
      return `runtime: ${errorMessage(e)}`;
    }
  })();
  const p = await pause;
  out(`nspod ${nspod.version}\n${p.exitCode === 0 ? p.stdout.trim() : 'pause: not built (run scripts/setup)'}\n${await runtime}\n`);
  return 0;
}
