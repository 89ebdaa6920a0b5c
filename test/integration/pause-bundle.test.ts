import test from 'ava';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { execa } from 'execa';
import { writePauseBundle } from '../../src/oci/pause.js';
import { specErrors } from '../../src/oci/validate.js';
import { assets } from '../../src/paths.js';
import { isAlive } from '../../src/host/proc.js';
import { mountsUnder } from '../../src/host/mounts.js';
import { removeCgroupDirs } from '../../src/host/cgroups.js';
import { RUNTIME, eventually, nsInode, runtimeContainers, stateRoot } from '../helpers/host.js';

// Drives the runtime by hand, as a user would; the suite runs under nspod-reaper, which reaps the pause.
test('the scratch pause bundle runs under the runtime in namespaces of its own and goes away without a trace', async (t) => {
  const root = await stateRoot(t, 'pause-bundle');
  const bundle = path.join(root, 'bundle');
  const runtimeRoot = path.join(root, 'runtime', RUNTIME);
  const cgroup = `/nspod-test/${path.basename(root)}`;
  await writePauseBundle(bundle, { hostname: 'pausetest', cgroupsPath: cgroup, nofileHardLimit: 20000, pauseBinary: assets.pauseBinary });

  // The rootfs holds /pause and the empty mount points, nothing else.
  t.deepEqual(readdirSync(path.join(bundle, 'rootfs')).sort(), ['dev', 'pause', 'proc', 'sys']);
  const config = JSON.parse(await readFile(path.join(bundle, 'config.json'), 'utf8'));
  t.deepEqual(specErrors(config), []);

  const id = 'pausetest';
  const run = await execa(RUNTIME, ['--root', runtimeRoot, 'run', '-d', '--pid-file', path.join(bundle, 'pid'), '--bundle', bundle, id], {
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'ignore',
  });
  t.is(run.exitCode, 0);
  const state = JSON.parse((await execa(RUNTIME, ['--root', runtimeRoot, 'state', id])).stdout);
  t.is(state.status, 'running');
  const pid: number = state.pid;
  for (const ns of ['pid', 'net', 'ipc', 'uts', 'mnt']) {
    t.not(await nsInode(pid, ns), await nsInode('self', ns), `${ns} namespace is the host's`);
  }
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  t.regex(status, /^Uid:\s+65535\s/m);
  t.regex(status, /^CapEff:\s+0+$/m);

  await execa(RUNTIME, ['--root', runtimeRoot, 'kill', id, 'TERM']);
  await eventually(() => (isAlive(pid) ? undefined : true), 5000, 'the pause to exit');
  await execa(RUNTIME, ['--root', runtimeRoot, 'delete', id]);
  t.deepEqual(await runtimeContainers(runtimeRoot), []);
  t.false(isAlive(pid));
  t.deepEqual(mountsUnder(root), []);
  await removeCgroupDirs('nspod-test');
});
