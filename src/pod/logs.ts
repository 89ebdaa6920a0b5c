/** Container logs in the Kubernetes CRI format the shim writes: `<RFC 3339 time> <stdout|stderr> <F|P> <text>`. */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';

export interface LogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  /** A piece of a line longer than the shim's buffer; the next piece continues it. */
  partial: boolean;
  text: string;
}

export function parseLogLine(line: string): LogLine | undefined {
  const m = /^(\S+) (stdout|stderr) ([FP]) (.*)$/.exec(line);
  if (!m) return undefined;
  return { time: m[1]!, stream: m[2] as LogLine['stream'], partial: m[3] === 'P', text: m[4]! };
}

/** Every line of a log file (the last `tail` when given); a missing file has none. */
export async function readLog(file: string, options: { tail?: number } = {}): Promise<LogLine[]> {
  return (await readLogUpTo(file, options)).lines;
}

/**
 * The whole lines of a log file (the last `tail` when given) and the byte offset just past the last of them,
 * where a follower must start so that no line written meanwhile is lost or printed twice. The current file only, as
 * the kubelet reads it (rotated files are LOG.1 ... LOG.N); with `tail`, read backwards from the end in chunks, so
 * that memory is bounded by the lines asked for, not by the file.
 */
export async function readLogUpTo(file: string, options: { tail?: number } = {}): Promise<{ lines: LogLine[]; end: number }> {
  const fh = await open(file, 'r').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (!fh) return { lines: [], end: 0 };
  try {
    const { size } = await fh.stat();
    const tail = options.tail;
    const chunks: Buffer[] = [];
    let start = size;
    let newlines = 0;
    // Back from the end until the tail's lines (and the newline before them) are in, or the whole file is.
    while (start > 0 && (tail === undefined || newlines <= tail)) {
      const n = Math.min(TAIL_CHUNK, start);
      const chunk = Buffer.alloc(n);
      const { bytesRead } = await fh.read(chunk, 0, n, start - n);
      start -= n;
      chunks.unshift(chunk.subarray(0, bytesRead));
      if (tail !== undefined) for (const byte of chunk.subarray(0, bytesRead)) if (byte === 0x0a) newlines++;
    }
    const bytes = Buffer.concat(chunks);
    const whole = bytes.lastIndexOf(0x0a) + 1;
    // A line cut by where the reading began is not a line of the tail.
    const from = start > 0 ? bytes.indexOf(0x0a) + 1 : 0;
    const lines = bytes
      .subarray(Math.min(from, whole), whole)
      .toString('utf8')
      .split('\n')
      .map(parseLogLine)
      .filter((l): l is LogLine => l !== undefined);
    return { lines: tail === undefined ? lines : lines.slice(Math.max(0, lines.length - tail)), end: start + whole };
  } finally {
    await fh.close();
  }
}

const TAIL_CHUNK = 64 * 1024;

/** The text of the complete lines of a CRI log (`<time> <stream> <F|P> <text>`), partial lines joined. */
export function criLogLines(text: string): string[] {
  const lines: string[] = [];
  let partial = '';
  for (const raw of text.split('\n')) {
    const line = parseLogLine(raw);
    if (!line) continue;
    partial += line.text;
    if (!line.partial) {
      lines.push(partial);
      partial = '';
    }
  }
  return lines;
}

/** The last `n` lines of a log, their text only, joined by ' | ' (for an error message); '' when there is no log. */
export async function logTail(file: string, n: number): Promise<string> {
  const lines = await readLog(file, { tail: n }).catch(() => []);
  return lines.map((l) => l.text).join(' | ');
}

/** How many of a failed container's last log lines an error carries. */
export const ERROR_LOG_LINES = 20;

/** A failed container's last lines for an error message, `; its last log lines: a | b`; '' when it wrote none. */
export async function logTailForError(file: string): Promise<string> {
  const tail = await logTail(file, ERROR_LOG_LINES);
  return tail ? `; its last log lines (up to ${ERROR_LOG_LINES}): ${tail}` : '';
}

/** One line of a container's output, whole (pieces the shim split are joined). */
export interface LogEntry {
  /** RFC 3339, when the shim read (the end of) the line. */
  time: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

export interface LogStreamOptions {
  /** Keep yielding new lines until the container has exited for good (or the pod stopped), or `signal` aborts. */
  follow?: boolean | undefined;
  /** Only lines from this time on (a Date, RFC 3339, or epoch milliseconds). */
  since?: Date | string | number | undefined;
  /** Only the last `tail` lines of what is there already. */
  tail?: number | undefined;
  /** The run before the container's last restart (`kubectl logs -p`); not with `follow`. */
  previous?: boolean | undefined;
  /** Prefix each line with its time, as `kubectl logs --timestamps` does. */
  timestamps?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

/** Joins the pieces of a long line, per stream (the two streams' pieces interleave); undefined until a line is whole. */
export function lineJoiner(): (l: LogLine) => LogEntry | undefined {
  const partial = { stdout: '', stderr: '' };
  return (l) => {
    partial[l.stream] += l.text;
    if (l.partial) return undefined;
    const line = partial[l.stream];
    partial[l.stream] = '';
    return { time: l.time, stream: l.stream, line };
  };
}

/** A log's lines as an async iterable (what `pod.logs` returns); with `follow`, until `over()` says the container is done. */
export async function* streamLog(file: string, options: LogStreamOptions, over: () => Promise<boolean>): AsyncGenerator<LogEntry> {
  const since = options.since === undefined ? undefined : new Date(options.since).getTime();
  const join = lineJoiner();
  const shape = (l: LogLine): LogEntry | undefined => {
    const e = join(l);
    if (!e || (since !== undefined && Date.parse(e.time) < since)) return undefined;
    return options.timestamps ? { ...e, line: `${e.time} ${e.line}` } : e;
  };
  const read = await readLogUpTo(file, options.tail === undefined ? {} : { tail: options.tail });
  for (const l of read.lines) {
    const e = shape(l);
    if (e) yield e;
  }
  if (!options.follow) return;
  const queue: LogEntry[] = [];
  let wake: (() => void) | undefined;
  const follower = new LogFollower(file, (l) => {
    const e = shape(l);
    if (e) queue.push(e);
    wake?.();
  });
  await follower.start(read.end); // right after what was yielded: a line written meanwhile is neither lost nor doubled
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      if (options.signal?.aborted) return;
      if (await over()) {
        await follower.stop(); // reads what is left first
        while (queue.length > 0) yield queue.shift()!;
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 250);
        function done() {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', done);
          wake = undefined;
          resolve();
        }
        wake = done;
        options.signal?.addEventListener('abort', done, { once: true });
      });
    }
  } finally {
    await follower.stop();
  }
}

/**
 * Follows a container's log as it grows (the shim appends), across rotations and restarts (the file renamed, a new one
 * at its path: the old one is read to its end first). Calls `onLine` for each whole line.
 */
export class LogFollower {
  private offset = 0;
  private rest = '';
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> = Promise.resolve();
  private stopped = false;
  /** The file being read (kept open across a rotation until it is read to its end) and its inode. */
  private fh: FileHandle | undefined;
  private inode = 0;

  constructor(
    private readonly file: string,
    private readonly onLine: (line: LogLine) => void,
  ) {}

  /** Starts at the end of what is there (`true`), at its beginning (`false`), or at a byte offset. */
  async start(from: boolean | number): Promise<void> {
    if (typeof from === 'number') this.offset = from;
    else if (from)
      this.offset = await stat(this.file)
        .then((s) => s.size)
        .catch(() => 0);
    this.poke();
    try {
      this.watcher = watch(this.file, () => this.poke());
      this.watcher.on('error', () => undefined);
    } catch {
      // The file may not exist yet: the timer finds it.
    }
    this.timer = setInterval(() => this.poke(), 250);
  }

  private poke(): void {
    if (this.stopped) return;
    this.reading = this.reading.then(() => this.readMore()).catch(() => undefined);
  }

  /**
   * Reads the file it has open to its end; when the path names another file by then (the shim rotated the log:
   * it renames only after its last write to the old one), goes on with the new file from its start.
   */
  private async readMore(): Promise<void> {
    if (!this.fh) {
      this.fh = await open(this.file, 'r').catch(() => undefined);
      if (!this.fh) return;
      this.inode = (await this.fh.stat()).ino;
    }
    for (;;) {
      const { size } = await this.fh.stat();
      if (size < this.offset) this.offset = 0; // truncated in place
      while (this.offset < size) {
        const buf = Buffer.alloc(Math.min(1 << 16, size - this.offset));
        const { bytesRead } = await this.fh.read(buf, 0, buf.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        const text = this.rest + buf.subarray(0, bytesRead).toString('utf8');
        const parts = text.split('\n');
        this.rest = parts.pop() ?? '';
        for (const part of parts) {
          const line = parseLogLine(part);
          if (line) this.onLine(line);
        }
      }
      const now = await stat(this.file).catch(() => undefined);
      if (!now || now.ino === this.inode) return;
      if ((await this.fh.stat()).size > this.offset) continue; // written to before the rename: read that first
      await this.fh.close();
      this.fh = await open(this.file, 'r').catch(() => undefined);
      this.offset = 0;
      this.rest = '';
      if (!this.fh) return;
      this.inode = (await this.fh.stat()).ino;
      this.watcher?.close();
      this.watcher = undefined;
      try {
        this.watcher = watch(this.file, () => this.poke());
        this.watcher.on('error', () => undefined);
      } catch {
        // the timer still polls
      }
    }
  }

  /** Lets the process exit while this follower runs (an onLog consumer must not keep a test run alive). */
  unref(): this {
    this.timer?.unref();
    this.watcher?.unref();
    return this;
  }

  /** Reads what is left, then stops. */
  async stop(): Promise<void> {
    this.poke();
    await this.reading;
    this.stopped = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
  }
}
