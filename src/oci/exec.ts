/**
 * The process an exec runs, built from the container's own `process` (its config.json) the way runc's exec builds it
 * from flags: the container's user and groups, capabilities, no_new_privs, rlimits and labels, with the exec's argv,
 * env, cwd, tty and user put over them. Given as `exec --process FILE`, it is the same with runc and crun (crun's
 * flags alone give no supplementary groups).
 */
import type { Process } from './spec.js';

export interface ExecRequest {
  args: string[];
  /** Added to the container's env; a name it has already is replaced. */
  env?: Record<string, string> | undefined;
  cwd?: string | undefined;
  tty?: boolean | undefined;
  /** Another uid/gid than the container's; its supplementary groups stay, as with runc's `exec --user`. */
  user?: { uid: number; gid?: number | undefined } | undefined;
}

const envName = (e: string) => e.split('=', 1)[0];

export function execProcess(base: Process, exec: ExecRequest): Process {
  const added = Object.entries(exec.env ?? {});
  const replaced = new Set(added.map(([k]) => k));
  const process: Process = {
    ...base,
    args: exec.args,
    env: [...(base.env ?? []).filter((e) => !replaced.has(envName(e)!)), ...added.map(([k, v]) => `${k}=${v}`)],
    cwd: exec.cwd ?? base.cwd,
    terminal: exec.tty === true,
    user: exec.user ? { ...base.user, uid: exec.user.uid, gid: exec.user.gid ?? exec.user.uid } : (base.user ?? { uid: 0, gid: 0 }),
  };
  // The runtime sizes an exec's terminal itself.
  delete process.consoleSize;
  return process;
}
