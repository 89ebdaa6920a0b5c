import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NspodError } from '../errors.js';
import { assets } from '../paths.js';
import { randomHex } from '../host/builtins.js';
import { findExecutable } from '../host/executables.js';
import { runProgram, type ProgramOptions } from '../host/program.js';
import { execProcess } from '../oci/exec.js';
import type { Process, RuntimeState } from '../oci/spec.js';

export interface RuntimeOptions {
  /** `runc`, `crun`, or a path to either. Default: env NSPOD_RUNTIME, else `runc`. */
  runtime?: string | undefined;
  /** The runtime's own state directory (`--root`). Never runc's global /run/runc. */
  root: string;
}

export interface DetachedRun {
  /** Where the shim writes the container's stdout/stderr, in the CRI log format. */
  logFile: string;
  /** Where the shim writes `{pid, exitCode, signal, finishedAt}` when the container exits. */
  exitFile: string;
  pidFile: string;
  /** Run by the shim (execv) after it wrote the exit file... */
  exitCommand?: string[] | undefined;
  /** ...unless this file exists then (the pod is being stopped). */
  exitCommandSkipFile?: string | undefined;
  /** A process the shim watches (pidfd, start time against pid reuse): when it exits, the shim runs `command`, detached. */
  owner?: { pid: number; startTime: number; command: string[] } | undefined;
  /** The log is rotated at maxBytes into logFile.1 ... logFile.<files-1>; never when not given. */
  logRotation?: LogRotation | undefined;
}

/** Container log rotation, as the kubelet's containerLogMaxSize and containerLogMaxFiles. */
export interface LogRotation {
  maxBytes: number;
  /** The current file and the rotated ones. */
  files: number;
}

export interface ExecOptions {
  tty?: boolean;
  env?: Record<string, string>;
  cwd?: string;
  user?: { uid: number; gid?: number };
  /**
   * The container's own process (its config.json's): the exec runs it with the options above put over it, given as
   * `--process` (src/oci/exec.ts), so it has the container's groups under crun too. Without it, the runtime's flags.
   */
  base?: Process;
  /** Text fed to the process's stdin. */
  input?: string;
  /** Pass the caller's stdin/stdout/stderr through (an interactive `nspod exec -it`). */
  inherit?: boolean;
  timeoutMs?: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ProcessInfo {
  pid: number;
}

const CRUN_HYBRID = 'cgroups in hybrid mode not supported';

/**
 * The OCI runtime (runc, or crun: the same CLI) under its own `--root`.
 * Every error names the command and carries the runtime's stderr.
 */
export class Runtime {
  readonly binary: string;
  readonly name: string;
  readonly root: string;

  constructor(options: RuntimeOptions) {
    const found = Runtime.find(options.runtime);
    this.binary = found.binary;
    this.name = found.name;
    this.root = options.root;
  }

  /** The runtime's binary and name (`runc`, `crun`): the option, else env NSPOD_RUNTIME, else runc; RUNTIME_MISSING when absent. */
  static find(runtime?: string | undefined): { binary: string; name: string } {
    const wanted = runtime ?? process.env.NSPOD_RUNTIME ?? 'runc';
    const binary = findExecutable(wanted);
    if (!binary) {
      throw new NspodError('RUNTIME_MISSING', `container runtime ${JSON.stringify(wanted)} not found`, {
        hint: wanted.includes('/')
          ? 'check the path given as the runtime'
          : `install it (apt-get install ${path.basename(wanted)}) or choose another with --runtime / NSPOD_RUNTIME`,
      });
    }
    return { binary, name: path.basename(binary) };
  }

  private args(args: string[]): string[] {
    return ['--root', this.root, ...args];
  }

  private async call(args: string[], options: ProgramOptions = {}): Promise<string> {
    const full = this.args(args);
    const result = await runProgram(this.binary, full, options);
    if (!result.ok) throw this.failure(full, result.stderr || result.message);
    return result.stdout;
  }

  /** Turns the runtime's stderr into one NspodError, with a remedy where one is known. */
  failure(args: string[], stderr: string): NspodError {
    const said = cleanRuntimeMessage(stderr);
    const command = `${this.name} ${args.join(' ')}`;
    if (said.includes(CRUN_HYBRID)) {
      return new NspodError('RUNTIME_UNSUPPORTED_HOST', `${command}: ${said}`, {
        hint:
          'crun refuses a hybrid cgroup layout whose cgroup2 mount still offers a controller; mount that controller (usually hugetlb) ' +
          'on its own v1 hierarchy, e.g. `mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb none /sys/fs/cgroup/hugetlb`, or use runc; nspod never changes host cgroup mounts itself',
      });
    }
    return new NspodError('RUNTIME_FAILED', `${command}: ${said || 'failed'}`);
  }

  /**
   * Starts a container detached under an nspod-shim: the shim stays as the
   * container's parent (a subreaper), logs its output and records its exit.
   * Returns the container's pid.
   */
  async runDetached(id: string, bundle: string, run: DetachedRun): Promise<number> {
    const shimArgs = ['-l', run.logFile, '-e', run.exitFile, '-p', run.pidFile];
    if (run.logRotation) shimArgs.push('-m', String(run.logRotation.maxBytes), '-n', String(run.logRotation.files));
    if (run.exitCommand && run.exitCommand.length > 0) {
      const [prog, ...rest] = run.exitCommand;
      shimArgs.push('-x', prog!);
      for (const a of rest) shimArgs.push('-a', a);
      if (run.exitCommandSkipFile) shimArgs.push('-s', run.exitCommandSkipFile);
    }
    if (run.owner) {
      shimArgs.push('-w', `${run.owner.pid}:${run.owner.startTime}`);
      for (const a of run.owner.command) shimArgs.push('-W', a);
    }
    const runtimeArgs = this.args(['run', '-d', '--pid-file', run.pidFile, '--bundle', bundle, id]);
    const result = await runProgram(assets.shimBinary, [...shimArgs, '--', this.binary, ...runtimeArgs]);
    if (result.exitCode !== 0) {
      // The shim's own failures say so; any other exit code is the runtime's, passed on.
      if (/^nspod-shim: |^usage: nspod-shim/m.test(result.stderr) || result.exitCode === undefined) {
        const said = result.stderr || result.message;
        throw new NspodError('INTERNAL', `nspod-shim failed for container ${id}: ${said}`, {
          hint: 'run scripts/setup to rebuild pause/build',
        });
      }
      throw this.failure(runtimeArgs, result.stderr);
    }
    const pid = Number.parseInt(result.stdout.trim(), 10);
    if (!Number.isInteger(pid) || pid <= 0) throw new NspodError('INTERNAL', `nspod-shim printed no pid for container ${id}`);
    return pid;
  }

  /** The container's state, or undefined when the runtime does not know it. */
  async state(id: string): Promise<(RuntimeState & { created?: string }) | undefined> {
    const full = this.args(['state', id]);
    const result = await runProgram(this.binary, full);
    if (result.exitCode !== 0) {
      if (/does not exist|not found|no such file/i.test(result.stderr)) return undefined;
      throw this.failure(full, result.stderr || result.message);
    }
    return JSON.parse(result.stdout) as RuntimeState;
  }

  async list(): Promise<RuntimeState[]> {
    const out = await this.call(['list', '--format', 'json']);
    const parsed = JSON.parse(out.trim() || '[]') as RuntimeState[] | null;
    return parsed ?? [];
  }

  /** Sends a signal; a container that is already gone or stopped is not an error. */
  async kill(id: string, signal = 'TERM', options: { all?: boolean } = {}): Promise<void> {
    const args = ['kill', ...(options.all ? ['--all'] : []), id, signal];
    const full = this.args(args);
    const result = await runProgram(this.binary, full);
    if (result.exitCode !== 0 && !/not running|does not exist|no such process|not found|container not running/i.test(result.stderr)) {
      throw this.failure(full, result.stderr || result.message);
    }
  }

  /** Deletes a container; a container the runtime does not know is not an error. */
  async delete(id: string, options: { force?: boolean } = {}): Promise<void> {
    const full = this.args(['delete', ...(options.force ? ['--force'] : []), id]);
    const result = await runProgram(this.binary, full);
    if (result.exitCode !== 0 && !/does not exist|not found/i.test(result.stderr)) {
      throw this.failure(full, result.stderr || result.message);
    }
  }

  /**
   * `create` + `start`, for callers that want the two steps apart. The
   * container inherits the runtime's stdio, so that is /dev/null and a file,
   * never a pipe: a pipe held by the container would never reach EOF.
   */
  async create(id: string, bundle: string, pidFile: string): Promise<void> {
    const full = this.args(['create', '--bundle', bundle, '--pid-file', pidFile, id]);
    const errFile = path.join(os.tmpdir(), `nspod-create-${process.pid}-${randomHex(4)}.err`);
    const fd = openSync(errFile, 'w+');
    try {
      const result = await runProgram(this.binary, full, { stdio: ['ignore', 'ignore', fd] });
      if (result.exitCode !== 0) throw this.failure(full, readFileSync(errFile, 'utf8') || result.message);
    } finally {
      closeSync(fd);
      rmSync(errFile, { force: true });
    }
  }

  async start(id: string): Promise<void> {
    await this.call(['start', id]);
  }

  /** Pids of the container's processes (host pid namespace). */
  async ps(id: string): Promise<number[]> {
    const out = await this.call(['ps', '--format', 'json', id]);
    return (JSON.parse(out.trim() || '[]') as number[] | null) ?? [];
  }

  /** Runs a process in a running container and waits for it. */
  async exec(id: string, command: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const args = ['exec'];
    // The process file holds the container's env, Secrets' values among them: a private dir, removed after.
    const processDir = options.base ? mkdtempSync(path.join(os.tmpdir(), 'nspod-exec-')) : undefined;
    if (options.base && processDir) {
      const file = path.join(processDir, 'process.json');
      const { env, cwd, tty, user } = options;
      writeFileSync(file, JSON.stringify(execProcess(options.base, { args: command, env, cwd, tty, user })), { mode: 0o600 });
      args.push('--process', file, id);
    } else {
      if (options.tty) args.push('--tty');
      if (options.cwd) args.push('--cwd', options.cwd);
      if (options.user) args.push('--user', `${options.user.uid}:${options.user.gid ?? options.user.uid}`);
      for (const [k, v] of Object.entries(options.env ?? {})) args.push('--env', `${k}=${v}`);
      args.push(id, ...command);
    }
    const full = this.args(args);
    const result = await runProgram(this.binary, full, {
      ...(options.inherit ? { stdio: 'inherit' as const } : { input: options.input }),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    }).finally(() => processDir && rmSync(processDir, { recursive: true, force: true }));
    if (result.timedOut) throw new NspodError('TIMEOUT', `${this.name} exec in ${id} timed out after ${options.timeoutMs} ms`);
    const stderr = result.stderr;
    if (result.exitCode === undefined) throw this.failure(full, stderr || result.message);
    // The runtime's own failures (no such container, exec failed) are not the command's exit codes.
    if (result.exitCode !== 0 && /^time=".*level=error|container does not exist|exec failed/m.test(stderr)) {
      throw this.failure(full, stderr);
    }
    return { exitCode: result.exitCode, stdout: result.stdout, stderr };
  }
}

/** runc logs as `time="..." level=error msg="..."`; people want the msg. */
export function cleanRuntimeMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const m = /level=(?:error|fatal|warning) msg="((?:[^"\\]|\\.)*)"/.exec(l);
      return m ? m[1]!.replace(/\\"/g, '"') : l;
    });
  return [...new Set(lines)].join('; ');
}
