import test from 'ava';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { assets, packageRoot } from '../../src/paths.js';

const built = [
  assets.pauseBinary,
  assets.shimBinary,
  assets.reaperBinary,
  path.join(assets.toolboxRootfs, 'bin', 'busybox'),
  path.join(packageRoot, 'dist', 'index.js'),
  path.join(packageRoot, 'dist', 'bundle', 'cli.js'),
  path.join(packageRoot, 'dist', 'bundle', 'hot.cjs'),
  path.join(packageRoot, 'dist', 'bundle', 'index.js'),
  path.join(packageRoot, 'schemas', 'runtime-spec', 'config-schema.json'),
  path.join(packageRoot, 'src', 'oci', 'runtime-spec.generated.ts'),
  path.join(packageRoot, 'src', 'oci', 'config-validator.generated.ts'),
  path.join(packageRoot, 'node_modules', '.package-lock.json'),
];

test('setup run again on a ready host changes nothing: no install, no rebuild', async (t) => {
  const before = built.map((f) => statSync(f).mtimeMs);
  const started = Date.now();
  const r = await execa('bash', [path.join(packageRoot, 'scripts', 'setup')], { cwd: packageRoot });
  // Quick: a loose bound (it takes well under a second here), far from what any install or build costs.
  t.true(Date.now() - started < 30_000, `took ${Date.now() - started} ms`);
  t.is(r.stdout.trim(), 'setup: ready', 'nothing was installed or built');
  t.deepEqual(
    built.map((f) => statSync(f).mtimeMs),
    before,
  );
});

test('a clean clone: npm run build makes the bundle, bin/nspod.js runs on it alone, and npm pack ships it', async (t) => {
  t.timeout(300_000); // tsc and esbuild on a shared 2-core host
  const clone = await mkdtemp(path.join(os.tmpdir(), 'nspod-clone-'));
  try {
    await execa('git', ['clone', '--quiet', '--no-hardlinks', packageRoot, clone]);
    // The packages as npm ci would lay them, and the schemas as setup installs them (neither is committed).
    await symlink(path.join(packageRoot, 'node_modules'), path.join(clone, 'node_modules'));
    t.false(existsSync(path.join(clone, 'dist')), 'nothing built is committed');
    await execa('npm', ['run', '-s', 'build'], { cwd: clone, env: { NSPOD_SCHEMA_DIR: assets.runtimeSpecSchemas } });
    for (const f of ['cli.js', 'hot.cjs', 'index.js']) t.true(existsSync(path.join(clone, 'dist', 'bundle', f)), `dist/bundle/${f}`);
    const pack = await execa('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: clone });
    const files = (JSON.parse(pack.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    for (const f of ['dist/bundle/cli.js', 'dist/bundle/hot.cjs', 'dist/bundle/index.js', 'bin/nspod.js', 'bin/package.json'])
      t.true(files.includes(f), `npm pack: ${f}`);
    // What bin/nspod.js loads is the bundle: without tsc's modules and without node_modules, it still runs.
    await rm(path.join(clone, 'dist', 'cli'), { recursive: true });
    await rm(path.join(clone, 'node_modules'));
    const help = await execa(process.execPath, [path.join(clone, 'bin', 'nspod.js'), '--help'], { reject: false });
    t.is(help.exitCode, 0, help.stderr);
    t.regex(help.stdout, /^Usage: nspod /);
    const version = await execa(process.execPath, [path.join(clone, 'bin', 'nspod.js'), 'version'], { reject: false });
    t.regex(version.stdout, /^nspod \d+\.\d+\.\d+\n/);
    const ps = await execa(process.execPath, [path.join(clone, 'bin', 'nspod.js'), '--root', path.join(clone, 'no-root'), 'ps'], {
      reject: false,
    });
    t.is(ps.exitCode, 0, ps.stderr);
    t.regex(ps.stdout, /^NAME +READY +STATUS/);
  } finally {
    await rm(clone, { recursive: true, force: true });
  }
});
