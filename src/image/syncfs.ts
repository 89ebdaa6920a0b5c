/**
 * The file system tar-fs writes through (its `fs` option): the same calls,
 * made synchronously. tar-fs makes about a dozen calls per entry; through the
 * thread pool each is a round trip that costs more than the call itself, and
 * an image is mostly small files. Reading, hashing and gunzip stay streamed.
 *
 * `utimes` never follows a symlink (lutimes): a directory an archive
 * replaced by a link must not carry the time change to the link's target.
 */
import fs from 'node:fs';
import { Writable } from 'node:stream';

type Callback = (err: NodeJS.ErrnoException | null, value?: unknown) => void;

function callbackStyle<A extends unknown[], R>(fn: (...args: A) => R) {
  return (...args: [...A, Callback]): void => {
    const done = args.pop() as Callback;
    let value: R;
    try {
      value = fn(...(args as unknown as A));
    } catch (e) {
      done(e as NodeJS.ErrnoException);
      return;
    }
    done(null, value);
  };
}

/** A write stream that writes with the calling thread: open, write, close. */
class SyncFileWriter extends Writable {
  private fd: number | undefined;

  constructor(private readonly file: string) {
    super({ highWaterMark: 1 << 20 });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    try {
      // O_NOFOLLOW: never write through a link that appeared where the file goes.
      this.fd = fs.openSync(
        this.file,
        fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW,
        0o644,
      );
      callback();
    } catch (e) {
      callback(e as Error);
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      let off = 0;
      while (off < chunk.length) off += fs.writeSync(this.fd!, chunk, off, chunk.length - off);
      callback();
    } catch (e) {
      callback(e as Error);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // closing is best effort after an error
      }
      this.fd = undefined;
    }
    callback(error);
  }
}

export const syncFs = {
  lstat: callbackStyle(fs.lstatSync as (p: string) => fs.Stats),
  stat: callbackStyle(fs.statSync as (p: string) => fs.Stats),
  unlink: callbackStyle(fs.unlinkSync),
  symlink: callbackStyle(fs.symlinkSync),
  readlink: callbackStyle(fs.readlinkSync as (p: string) => string),
  realpath: callbackStyle(fs.realpathSync as (p: string) => string),
  link: callbackStyle(fs.linkSync),
  mkdir: callbackStyle(fs.mkdirSync as (p: string, o?: fs.MakeDirectoryOptions) => string | undefined),
  utimes: callbackStyle(fs.lutimesSync),
  chmod: callbackStyle(fs.chmodSync),
  chown: callbackStyle(fs.chownSync),
  lchown: callbackStyle(fs.lchownSync),
  createReadStream: fs.createReadStream,
  createWriteStream: (file: string) => new SyncFileWriter(file),
};
