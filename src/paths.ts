/** Where nspod's files are: the package's own (built by setup), and the state root pods live under. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's top directory: the same from src/ (tsx) and from dist/. */
export const packageRoot: string = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('nspod: cannot find the package root');
    dir = up;
  }
  return dir;
})();

/** Files that scripts/setup builds into the package. */
export const assets = {
  pauseBinary: path.join(packageRoot, 'pause', 'build', 'pause'),
  shimBinary: path.join(packageRoot, 'pause', 'build', 'nspod-shim'),
  reaperBinary: path.join(packageRoot, 'pause', 'build', 'nspod-reaper'),
  proberBinary: path.join(packageRoot, 'pause', 'build', 'nspod-prober'),
  toolboxRootfs: path.join(packageRoot, 'bundles', 'toolbox', 'rootfs'),
  runtimeSpecSchemas: path.join(packageRoot, 'schemas', 'runtime-spec'),
};

/** The state root when neither the caller nor NSPOD_ROOT names one. */
export const DEFAULT_STATE_ROOT = '/run/nspod';

/** The one place the state root is resolved: the option, else env NSPOD_ROOT, else /run/nspod; always absolute. */
export function resolveStateRoot(root?: string | undefined): string {
  return path.resolve(root ?? process.env.NSPOD_ROOT ?? DEFAULT_STATE_ROOT);
}
