/** Where nspod's files are: the package's own (built by setup), the state root pods live under, and the data root their writable data lives in. */
import { existsSync, readFileSync } from 'node:fs';
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

/** The data root when neither the caller, NSPOD_DATA_ROOT nor the state root names one: on disk, as the kubelet's /var/lib/kubelet. */
export const DEFAULT_DATA_ROOT = '/var/lib/nspod';

/** Where a state root names its data root: written with its first pod, so that later commands on it find the same one. */
export function dataRootFile(stateRoot: string): string {
  return path.join(stateRoot, 'data-root');
}

/** The data root a state root names (dataRootFile), if it names one. */
export function recordedDataRoot(stateRoot: string): string | undefined {
  try {
    const named = readFileSync(dataRootFile(stateRoot), 'utf8').trim();
    return named.startsWith('/') ? named : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The one place the data root (pods' writable layers, disk emptyDirs, container logs) is resolved: the option, else env
 * NSPOD_DATA_ROOT, else the one the state root names, else /var/lib/nspod; always absolute.
 */
export function resolveDataRoot(stateRoot: string, dataRoot?: string | undefined): string {
  const given = dataRoot ?? (process.env.NSPOD_DATA_ROOT || undefined);
  return path.resolve(given ?? recordedDataRoot(stateRoot) ?? DEFAULT_DATA_ROOT);
}
