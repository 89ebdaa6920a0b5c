import test from 'ava';
import path from 'node:path';
import { execa } from 'execa';
import { packageRoot } from '../../src/paths.js';
import { stateRoot, runtimeContainers, RUNTIME } from '../helpers/host.js';
import { mountsUnder } from '../../src/host/mounts.js';

test("the README's API example runs as written and leaves nothing behind", async (t) => {
  const root = await stateRoot(t, 'example');
  const r = await execa(path.join(packageRoot, 'node_modules', '.bin', 'tsx'), [path.join(packageRoot, 'examples', 'api.ts')], {
    cwd: packageRoot,
    env: { NSPOD_ROOT: root },
    reject: false,
  });
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, /^hello from nspod from pause pid \d+$/);
  t.deepEqual(await runtimeContainers(path.join(root, 'runtime', RUNTIME)), []);
  t.deepEqual(mountsUnder(root), []);
});
