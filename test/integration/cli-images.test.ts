import test from 'ava';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { assets } from '../../src/paths.js';
import { stateRoot } from '../helpers/host.js';
import { nspod } from '../helpers/cli.js';

/** A temp dir for one test (image cache, tarballs, manifests), removed when it ends. */
async function tempDir(t: import('ava').ExecutionContext, tag: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `nspod-${tag}-`));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const sleeperPod = (name: string, image: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
    - name: app
      image: ${JSON.stringify(image)}
      command: ["sleep", "3600"]
`;

test('image import, images (table and json), a pod on the imported image, image rm refused while in use, then allowed; prune of an empty cache frees 0', async (t) => {
  const root = await stateRoot(t, 'cli-img');
  const work = await tempDir(t, 'cli-img-work');
  const imageRoot = path.join(work, 'images');
  const cli = (args: string[]) => nspod(root, ['--image-root', imageRoot, ...args]);
  t.teardown(() => cli(['rm', '-f', 'boxed']).then(() => undefined));

  const tarball = path.join(work, 'rootfs.tar');
  await execa('tar', ['-C', assets.toolboxRootfs, '-cf', tarball, '.']);
  const imported = await cli(['image', 'import', 'mybox:1', tarball]);
  t.is(imported.exitCode, 0, imported.stderr);
  t.regex(imported.stdout, /^mybox:1 sha256:[0-9a-f]{64}\n$/);
  const digest = imported.stdout.trim().split(' ')[1]!;
  t.deepEqual(await readdir(path.join(imageRoot, 'entries')), [digest.replace(':', '-')]);

  const listed = await cli(['images']);
  t.is(listed.exitCode, 0, listed.stderr);
  t.regex(listed.stdout, /^REFERENCE\s+DIGEST\s+SIZE\s+LAST USED\n/);
  t.regex(listed.stdout, new RegExp(`^mybox:1\\s+${digest.slice(0, 19)}\\s+\\d+\\.\\d MB\\s`, 'm'));
  const json = JSON.parse((await cli(['images', '-o', 'json'])).stdout) as { reference: string; digest: string; size: number }[];
  t.deepEqual(
    json.map((i) => [i.reference, i.digest]),
    [['mybox:1', digest]],
  );
  t.true(json[0]!.size > 1e6, `size ${json[0]!.size}`);

  const file = path.join(work, 'boxed.yaml');
  await writeFile(file, sleeperPod('boxed', 'mybox:1'));
  const run = await cli(['run', '-d', file]);
  t.is(run.exitCode, 0, run.stderr);
  t.is(run.stdout, 'boxed\n');
  const exec = await cli(['exec', 'boxed', '--', 'sh', '-c', 'echo from $(hostname)']);
  t.is(exec.exitCode, 0, exec.stderr);
  t.is(exec.stdout, 'from boxed\n');

  const refused = await cli(['image', 'rm', 'mybox:1']);
  t.is(refused.exitCode, 1);
  t.is(refused.stderr.split('\n').filter(Boolean).length, 1, refused.stderr);
  t.regex(refused.stderr, /^nspod: image "mybox:1" .*in use by pod boxed/);
  t.deepEqual((JSON.parse((await cli(['images', '-o', 'json'])).stdout) as unknown[]).length, 1, 'still cached');

  t.is((await cli(['rm', '-f', 'boxed'])).exitCode, 0);
  const removed = await cli(['image', 'rm', 'mybox:1']);
  t.is(removed.exitCode, 0, removed.stderr);
  t.is(removed.stdout, 'mybox:1\n');
  t.deepEqual(JSON.parse((await cli(['images', '-o', 'json'])).stdout), []);
  t.deepEqual(await readdir(path.join(imageRoot, 'entries')), [], 'no unpacked entry left');

  const pruned = await cli(['image', 'prune']);
  t.is(pruned.exitCode, 0, pruned.stderr);
  t.is(pruned.stdout, 'freed 0.0 MB\n');
});

test("image: ./rootfs.tar.gz is taken relative to the manifest's directory, not the caller's", async (t) => {
  const root = await stateRoot(t, 'cli-img');
  const work = await tempDir(t, 'cli-img-rel');
  const manifestDir = path.join(work, 'app');
  await execa('mkdir', ['-p', manifestDir]);
  await execa('tar', ['-C', assets.toolboxRootfs, '-czf', path.join(manifestDir, 'rootfs.tar.gz'), '.']);
  await writeFile(path.join(manifestDir, 'pod.yaml'), sleeperPod('relative', './rootfs.tar.gz'));
  t.teardown(() => nspod(root, ['rm', '-f', 'relative']).then(() => undefined));
  // The caller stands elsewhere (work/), so only the manifest's own directory can explain a success.
  const run = await nspod(root, ['--image-root', path.join(work, 'images'), 'run', '-d', 'app/pod.yaml'], { cwd: work });
  t.is(run.exitCode, 0, run.stderr);
  const exec = await nspod(root, ['exec', 'relative', '--', 'ls', '/bin/busybox']);
  t.is(exec.stdout, '/bin/busybox\n', exec.stderr);
  const images = JSON.parse((await nspod(root, ['--image-root', path.join(work, 'images'), 'images', '-o', 'json'])).stdout) as {
    digest: string;
  }[];
  t.is(images.length, 1, 'unpacked once into the cache');
});
