import test from 'ava';
import { statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { assets, packageRoot } from '../../src/paths.js';

const built = [
  assets.pauseBinary,
  assets.shimBinary,
  assets.reaperBinary,
  path.join(assets.toolboxRootfs, 'bin', 'busybox'),
  path.join(packageRoot, 'dist', 'index.js'),
  path.join(packageRoot, 'schemas', 'runtime-spec', 'config-schema.json'),
  path.join(packageRoot, 'src', 'oci', 'runtime-spec.generated.ts'),
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
