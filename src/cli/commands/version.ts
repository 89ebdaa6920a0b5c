/**
 * `nspod version`: nspod's, its pause's and the runtime's versions. The two programs are asked side by side, and
 * their answers are remembered in the state root (`<root>/runtime/versions.json`, where Pod.create keeps the runtime's) until their binaries change, so that the usual
 * `nspod version` spawns nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../../errors.js';
import { assets, packageRoot, resolveStateRoot } from '../../paths.js';
import { programVersions } from '../../host/versions.js';
import { versionsFile } from '../../runtime/features.js';
import { Runtime } from '../../runtime/runtime.js';
import { StateRoot } from '../../pod/store.js';
import type { GlobalOptions } from '../options.js';
import { out } from '../output.js';

export async function version(g: GlobalOptions): Promise<number> {
  const nspod = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  let runtime: string | undefined;
  let cache: string | undefined;
  let missing: string | undefined;
  try {
    const found = Runtime.find(g.runtime);
    runtime = found.binary;
    // Where Pod.create remembers it too; only in a state root that is there already: asking for a version makes none.
    const file = versionsFile(new StateRoot(resolveStateRoot(g.root)).runtimeRoot(found.name));
    if (existsSync(path.dirname(file))) cache = file;
  } catch (e) {
    missing = `runtime: ${errorMessage(e)}`;
  }
  const programs = [{ binary: assets.pauseBinary, args: ['-v'] }, ...(runtime ? [{ binary: runtime, args: ['--version'] }] : [])];
  const [pause, rt] = await programVersions(programs, cache);
  const runtimeLine = missing ?? (rt!.ok ? rt!.version : `runtime: ${rt!.result.message}`);
  out(`nspod ${nspod.version}\n${pause!.ok ? pause!.version : 'pause: not built (run scripts/setup)'}\n${runtimeLine}\n`);
  return 0;
}
