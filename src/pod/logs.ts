/** Container logs in the Kubernetes CRI format the shim writes: `<RFC 3339 time> <stdout|stderr> <F|P> <text>`. */
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
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
 * where a follower must start so that no line written meanwhile is lost or printed twice.
 */
export async function readLogUpTo(file: string, options: { tail?: number } = {}): Promise<{ lines: LogLine[]; end: number }> {
  let bytes = Buffer.alloc(0);
  try {
    bytes = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const end = bytes.lastIndexOf(0x0a) + 1;
  const lines = bytes
    .subarray(0, end)
    .toString('utf8')
    .split('\n')
    .map(parseLogLine)
    .filter((l): l is LogLine => l !== undefined);
  return { lines: options.tail === undefined ? lines : lines.slice(Math.max(0, lines.length - options.tail)), end };
}

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

/** Where the log of a container's previous run is kept (`<name>.log` → `<name>.previous.log`) once it starts again. */
export function previousLogPath(logPath: string): string {
  return logPath.replace(/\.log$/, '.previous.log');
}

/** The last `n` lines of a log, their text only, joined by ' | ' (for an error message); '' when there is no log. */
export async function logTail(file: string, n: number): Promise<string> {
  const lines = await readLog(file, { tail: n }).catch(() => []);
  return lines.map((l) => l.text).join(' | ');
}

/**
 * Follows a container's log as it grows (the shim appends), across its restarts: when a new run's log replaces the file,
 * the rest of the last run's (now the previous log) is read first. Calls `onLine` for each whole line.
 */
export class LogFollower {
  private offset = 0;
  /** The inode of the file being read: another one at the path is a new run's log. */
  private inode: number | undefined;
  private rest = '';
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> = Promise.resolve();
  private stopped = false;

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

  private async readMore(): Promise<void> {
    const fh = await open(this.file, 'r').catch(() => undefined);
    if (!fh) return;
    try {
      const { size, ino } = await fh.stat();
      if (this.inode !== undefined && ino !== this.inode) {
        await this.drainPrevious();
        this.offset = 0;
        this.rest = '';
      }
      this.inode = ino;
      if (size < this.offset) this.offset = 0;
      await this.readFrom(fh, size);
    } finally {
      await fh.close();
    }
  }

  /** The end of the last run's log, renamed to the previous log, when it is the file that was being read. */
  private async drainPrevious(): Promise<void> {
    const fh = await open(previousLogPath(this.file), 'r').catch(() => undefined);
    if (!fh) return;
    try {
      const { size, ino } = await fh.stat();
      if (ino === this.inode) await this.readFrom(fh, size);
    } finally {
      await fh.close();
    }
  }

  private async readFrom(fh: FileHandle, size: number): Promise<void> {
    while (this.offset < size) {
      const buf = Buffer.alloc(Math.min(1 << 16, size - this.offset));
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
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
  }

  /** Reads what is left, then stops. */
  async stop(): Promise<void> {
    this.poke();
    await this.reading;
    this.stopped = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
  }
}
