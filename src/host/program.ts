/**
 * Running a program and waiting for it: the one home of how nspod spawns the tools it drives (the runtime, the
 * shim, mount, nsenter, skopeo). node:child_process behind a small result, never a throw for a non-zero exit: a
 * command loads no process library at start (a CLI run pays for every module it loads).
 */
import type { StdioOptions } from 'node:child_process';
import { Duplex } from 'node:stream';
import { childProcess } from './builtins.js';

export interface ProgramOptions {
  /** Text fed to stdin (else stdin is /dev/null, unless `stdio` says otherwise). */
  input?: string | undefined;
  /** `inherit`: the caller's stdin/stdout/stderr; or the three stdio entries as node:child_process takes them. */
  stdio?: 'inherit' | StdioOptions | undefined;
  /** Kill (SIGTERM) after this many ms; the result says `timedOut`. */
  timeoutMs?: number | undefined;
  /** Also collect stdout and stderr interleaved, as written, in `all`. */
  all?: boolean | undefined;
}

export interface ProgramResult {
  /** Undefined when the program could not start or died of a signal. */
  exitCode: number | undefined;
  signal: NodeJS.Signals | undefined;
  /** What it wrote, one final newline taken off (as a shell's `$(...)` does). */
  stdout: string;
  stderr: string;
  all: string;
  timedOut: boolean;
  /** Started and exited 0? */
  ok: boolean;
  /** What happened, for an error message: `file args: exited with code 1`, `...: spawn ENOENT`. */
  message: string;
}

const stripFinalNewline = (s: string) => (s.endsWith('\r\n') ? s.slice(0, -2) : s.endsWith('\n') ? s.slice(0, -1) : s);

/** Runs `file args` to its end; resolves with what it did, whatever its exit. */
export function runProgram(file: string, args: readonly string[], options: ProgramOptions = {}): Promise<ProgramResult> {
  const stdio: StdioOptions = options.stdio ?? [options.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'];
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const all: Buffer[] = [];
    let spawnError: Error | undefined;
    let timedOut = false;
    const child = childProcess().spawn(file, args, { stdio });
    child.stdout?.on('data', (b: Buffer) => {
      out.push(b);
      if (options.all) all.push(b);
    });
    child.stderr?.on('data', (b: Buffer) => {
      err.push(b);
      if (options.all) all.push(b);
    });
    if (options.input !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined); // a program that does not read its stdin closes the pipe early
      child.stdin.end(options.input);
    }
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            child.kill('SIGTERM');
          }, options.timeoutMs)
        : undefined;
    child.on('error', (e) => {
      spawnError = e;
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const exitCode = spawnError || code === null ? undefined : code;
      const what = `${file} ${args.join(' ')}`.trim();
      const message = spawnError
        ? `${what}: ${spawnError.message}`
        : timedOut
          ? `${what}: timed out after ${options.timeoutMs} ms`
          : signal
            ? `${what}: killed by ${signal}`
            : `${what}: exited with code ${code}`;
      resolve({
        exitCode,
        signal: signal ?? undefined,
        stdout: stripFinalNewline(Buffer.concat(out).toString('utf8')),
        stderr: stripFinalNewline(Buffer.concat(err).toString('utf8')),
        all: stripFinalNewline(Buffer.concat(all).toString('utf8')),
        timedOut,
        ok: exitCode === 0,
        message,
      });
    });
  });
}

/**
 * `file args` as a duplex stream: what is written goes to its stdin, what it prints on stdout is read (a relay, like
 * nspod-prober --connect). Destroying the stream kills the program; `stderr()` is what it said there so far, all of it
 * once `closed` (the program exited and its pipes are closed) resolves.
 */
export function programStream(file: string, args: readonly string[]): { stream: Duplex; stderr: () => string; closed: Promise<void> } {
  const child = childProcess().spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  child.on('error', (e) => (stderr += `${file}: ${e.message}`));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  child.stdin.on('error', () => undefined); // it exited (could not connect): the read side ends, and says so
  const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
  stream.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { stream, stderr: () => stderr.trim(), closed };
}
