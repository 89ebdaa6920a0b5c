/** Finding programs: on PATH, or in a list of directories (CNI_PATH). */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The first executable file named `name` in `dirs`, or undefined. */
export function findExecutableIn(dirs: readonly string[], name: string): string | undefined {
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // next directory
    }
  }
  return undefined;
}

/** An executable by name on PATH, or the path itself when `name` has a slash and is executable. */
export function findExecutable(name: string): string | undefined {
  if (name.includes('/')) return findExecutableIn([path.dirname(name)], path.basename(name));
  return findExecutableIn((process.env.PATH ?? DEFAULT_PATH).split(':'), name);
}
