import { stat } from 'node:fs/promises';
import path from 'node:path';
import { NspodError } from '../errors.js';
import { assets } from '../paths.js';

/** Defaults an image supplies to a container (from an OCI image config, when there is one). */
export interface ImageDefaults {
  entrypoint?: string[];
  cmd?: string[];
  env?: Record<string, string>;
  workingDir?: string;
  user?: string;
}

export interface ResolvedImage {
  /** The reference as written. */
  reference: string;
  /** A directory holding the rootfs: the overlay's read-only lower dir. */
  rootfs: string;
  defaults: ImageDefaults;
}

export interface ResolveOptions {
  /** Relative rootfs paths are resolved against this directory (a manifest's own). */
  cwd?: string | undefined;
}

/** The built-in toolbox: busybox-static, with a shell, httpd, wget and ps. */
export const TOOLBOX_IMAGE = 'busybox';

/** Resolves an `image:` reference to a rootfs directory. */
export async function resolveImage(reference: string, options: ResolveOptions = {}): Promise<ResolvedImage> {
  if (reference === TOOLBOX_IMAGE) {
    await mustBeDirectory(assets.toolboxRootfs, reference, 'run scripts/setup to build the toolbox rootfs');
    return { reference, rootfs: assets.toolboxRootfs, defaults: {} };
  }
  const dir = path.resolve(options.cwd ?? process.cwd(), reference);
  await mustBeDirectory(dir, reference, 'give a rootfs directory, or "busybox" for the built-in toolbox');
  return { reference, rootfs: dir, defaults: {} };
}

async function mustBeDirectory(dir: string, reference: string, hint: string): Promise<void> {
  let isDir = false;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new NspodError('IMAGE_NOT_FOUND', `image ${JSON.stringify(reference)}: no rootfs directory at ${dir}`, { hint });
}
