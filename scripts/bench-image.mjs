// Unpack speed: nspod's layer extraction (tar-fs behind the safety gate, with
// sha256) against GNU `tar -x` of the same ~100 MB layer, plain and gzip, in
// the same run. Prints min/median of several runs and the ratio (target <= 1.5).
// Usage: node scripts/bench-image.mjs [runs]   (after scripts/setup built dist/)
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { extractTarball } from '../dist/image/extract.js';

const runs = Number(process.argv[2] ?? 5);
const work = await mkdtemp(path.join(os.tmpdir(), 'bench-image-nspod-'));
const cleanup = () => rm(work, { recursive: true, force: true });
process.on('SIGINT', () => cleanup().finally(() => process.exit(130)));

try {
  // A layer shaped like a real one: a few big files (80 MB) and many small ones (4,000 x 5 KB) in 40 dirs.
  const tree = path.join(work, 'tree');
  for (let i = 0; i < 20; i++) {
    await mkdir(path.join(tree, 'big'), { recursive: true });
    await writeFile(path.join(tree, 'big', `blob${i}`), Buffer.concat([randomBytes(2 << 20), Buffer.alloc(2 << 20, i)]));
  }
  for (let d = 0; d < 40; d++) {
    const dir = path.join(tree, 'small', `d${d}`);
    await mkdir(dir, { recursive: true });
    for (let f = 0; f < 100; f++) await writeFile(path.join(dir, `f${f}`), randomBytes(2560).toString('hex'));
  }
  const plain = path.join(work, 'layer.tar');
  await execa('tar', ['-C', tree, '-cf', plain, '.']);
  await execa('gzip', ['-1', '-k', plain]);
  await rm(tree, { recursive: true, force: true });
  const { stdout: sizes } = await execa('du', ['-m', plain, `${plain}.gz`]);
  console.log(`layer: ${sizes.replace(/\n/g, ', ').replace(/\t/g, ' MB ')}`);

  const time = async (fn) => {
    const target = path.join(work, 'out');
    await rm(target, { recursive: true, force: true });
    await mkdir(target);
    await execa('sync'); // the previous run's writeback must not land in this one's time
    const t0 = performance.now();
    await fn(target);
    const ms = performance.now() - t0;
    await rm(target, { recursive: true, force: true });
    return ms;
  };
  const stats = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return { min: s[0], median: s[Math.floor(s.length / 2)] };
  };
  for (const [label, file, tarFlags] of [
    ['plain', plain, '-xf'],
    ['gzip', `${plain}.gz`, '-xzf'],
  ]) {
    const tarMs = [];
    const ourMs = [];
    for (let i = 0; i < runs; i++) {
      // Interleaved, so that both see the same page cache and machine load.
      tarMs.push(await time((target) => execa('tar', ['-C', target, tarFlags, file])));
      ourMs.push(await time((target) => extractTarball(file, target, { label, whiteouts: true })));
    }
    const t = stats(tarMs);
    const o = stats(ourMs);
    console.log(
      `${label.padEnd(5)}  GNU tar min ${t.min.toFixed(0)} ms median ${t.median.toFixed(0)} ms | nspod min ${o.min.toFixed(0)} ms median ${o.median.toFixed(0)} ms | ratio (median) ${(o.median / t.median).toFixed(2)}x`,
    );
  }
} finally {
  await cleanup();
}
