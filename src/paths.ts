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
