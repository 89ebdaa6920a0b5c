/** Unpack progress: a bar per layer (bytes of bytes) on a terminal, one final line otherwise, nothing when off. */
import cliProgress from 'cli-progress';

export interface LayerProgress {
  tick(bytes: number): void;
  done(): void;
}

export interface ProgressReporter {
  layer(label: string, totalBytes: number): LayerProgress;
  /** The one line printed when the image is ready. */
  finish(line: string): void;
}

const QUIET: ProgressReporter = { layer: () => ({ tick: () => undefined, done: () => undefined }), finish: () => undefined };

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

/** `enabled` false (the API's default): silent. On a TTY: bars; on a pipe or file: only the final line. */
export function progressReporter(enabled: boolean | undefined, stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  if (!enabled) return QUIET;
  if (!stream.isTTY) return { layer: () => QUIET.layer('', 0), finish: (line) => stream.write(`${line}\n`) };
  return {
    layer(label, totalBytes) {
      const bar = new cliProgress.SingleBar(
        {
          stream,
          format: `${label} [{bar}] {done} / {total}`,
          hideCursor: true,
          clearOnComplete: false,
          barsize: 30,
        },
        cliProgress.Presets.shades_classic,
      );
      let value = 0;
      bar.start(totalBytes, 0, { done: mib(0), total: mib(totalBytes) });
      return {
        tick(bytes) {
          value += bytes;
          bar.update(value, { done: mib(value), total: mib(totalBytes) });
        },
        done() {
          bar.update(totalBytes, { done: mib(totalBytes), total: mib(totalBytes) });
          bar.stop();
        },
      };
    },
    finish: (line) => stream.write(`${line}\n`),
  };
}
