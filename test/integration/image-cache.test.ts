/** The image cache: one unpack per digest under concurrency (in one process and across two), list, import, remove, prune. */
import test from 'ava';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { resolveImage, type UnpackEvent } from '../../src/image/resolve.js';
import { importImage, listImages } from '../../src/image/manage.js';
import { pruneImages, removeImage } from '../../src/pod/images.js';
import { ImageCache } from '../../src/image/cache.js';
import { isNspodError } from '../../src/errors.js';
import { packageRoot } from '../../src/paths.js';
import { buildLayout, tempDir, toolboxTarball } from '../helpers/images.js';

test('two resolves of one new image started together unpack it once and share the entry', async (t) => {
  const dir = await tempDir(t, 'img-conc');
  const imageRoot = path.join(dir, 'images');
  const tarball = await toolboxTarball(dir, true);
  const unpacks: UnpackEvent[] = [];
  const onUnpack = (e: UnpackEvent) => unpacks.push(e);
  const [a, b] = await Promise.all([
    resolveImage(tarball, { imageRoot, onUnpack }),
    resolveImage(`tar:${tarball}`, { imageRoot, onUnpack }),
  ]);
  t.is(unpacks.length, 1);
  t.is(a.rootfs, b.rootfs);
  const inode = (await stat(a.rootfs)).ino;
  await resolveImage(tarball, { imageRoot, onUnpack });
  t.is(unpacks.length, 1, 'a third resolve is a cache hit');
  t.is((await stat(a.rootfs)).ino, inode, 'the entry was not rebuilt');
});

test('two processes resolving one new OCI image unpack it once (the lock works across processes)', async (t) => {
  const dir = await tempDir(t, 'img-conc2');
  const imageRoot = path.join(dir, 'images');
  const layout = await buildLayout(dir, []);
  const script = path.join(dir, 'resolve.mts');
  await writeFile(
    script,
    `import { resolveImage } from ${JSON.stringify(path.join(packageRoot, 'src/image/resolve.ts'))};\n` +
      `let n = 0; const r = await resolveImage(process.argv[2], { imageRoot: process.argv[3], onUnpack: () => n++ });\n` +
      `console.log(JSON.stringify({ rootfs: r.rootfs, unpacked: n }));\n`,
  );
  const run = () => execa('node', ['--import=tsx', script, `oci:${layout}:v2`, imageRoot], { cwd: packageRoot });
  const outs = (await Promise.all([run(), run()])).map((r) => JSON.parse(r.stdout) as { rootfs: string; unpacked: number });
  t.is(outs[0]!.rootfs, outs[1]!.rootfs);
  t.is(outs[0]!.unpacked + outs[1]!.unpacked, 1);
  t.deepEqual(await readdir(path.join(imageRoot, 'locks')), [], 'no lock is left');
});

test("a lock left by a dead process is broken; a crashed unpack's temp dir never becomes an entry", async (t) => {
  const dir = await tempDir(t, 'img-stale');
  const imageRoot = path.join(dir, 'images');
  const tarball = await toolboxTarball(dir, false);
  const cache = new ImageCache(imageRoot);
  const first = await resolveImage(tarball, { imageRoot });
  const digest = first.digest!;
  await cache.removeEntry(digest);
  const key = digest.replace(':', '-');
  // What a process killed mid-unpack leaves: its lock (owner pid gone) and a half-written temp dir.
  const dead = execa('true');
  await dead;
  await mkdir(path.join(imageRoot, 'locks', key), { recursive: true });
  await writeFile(path.join(imageRoot, 'locks', key, 'holder.json'), JSON.stringify({ pid: dead.pid, startTime: 1 })); // src/host/lock.ts's holder record
  await mkdir(path.join(imageRoot, 'tmp', `${key}.deadbeef`, 'rootfs'), { recursive: true });
  t.is((await listImages({ imageRoot })).length, 0, 'a temp dir is not an entry');
  const unpacks: UnpackEvent[] = [];
  const again = await resolveImage(tarball, { imageRoot, onUnpack: (e) => unpacks.push(e) });
  t.is(unpacks.length, 1);
  t.is(again.rootfs, first.rootfs);
  t.deepEqual(await readdir(path.join(imageRoot, 'tmp')), [], 'the leftover was cleaned by the next holder of the lock');
});

test('listImages, importImage, removeImage (refused while in use), pruneImages', async (t) => {
  const dir = await tempDir(t, 'img-cli');
  const imageRoot = path.join(dir, 'images');
  const layout = await buildLayout(dir, ['--config.cmd', 'true']);
  const dockerArchive = path.join(dir, 'app.tar');
  await execa('skopeo', ['copy', '--quiet', `oci:${layout}:v2`, `docker-archive:${dockerArchive}:example/app:v2`]);
  const tarball = await toolboxTarball(dir, true);

  const imported = await importImage('example/app:v2', dockerArchive, { imageRoot });
  t.deepEqual(imported.defaults.cmd, ['true']);
  const byName = await resolveImage('example/app:v2', { imageRoot });
  t.is(byName.rootfs, imported.rootfs, 'an imported name resolves from the cache, with no registry');
  const rootfsImport = await importImage('toolbox:local', tarball, { imageRoot });
  t.is(rootfsImport.defaults.cmd, undefined, 'a plain rootfs tarball is imported as a rootfs');

  const rows = await listImages({ imageRoot });
  const names = rows.map((r) => r.reference);
  t.true(names.includes('example/app:v2'));
  t.true(names.includes('toolbox:local'));
  const app = rows.find((r) => r.reference === 'example/app:v2')!;
  t.is(app.digest, imported.digest!);
  t.true(app.size > 1_000_000, `size ${app.size}`);
  t.true(app.lastUsed instanceof Date);

  const err = await t.throwsAsync(removeImage('example/app:v2', { imageRoot, inUse: (rootfs) => rootfs === imported.rootfs }));
  t.true(isNspodError(err) && /in use/.test(err.message), String(err));
  t.true(
    (await listImages({ imageRoot })).some((r) => r.reference === 'example/app:v2'),
    'nothing was removed',
  );

  // The default in-use check reads pod records under the state root.
  const stateRoot = path.join(dir, 'state');
  await mkdir(path.join(stateRoot, 'pods', 'web'), { recursive: true });
  await writeFile(path.join(stateRoot, 'pods', 'web', 'pod.json'), JSON.stringify({ containers: [{ lowerdir: imported.rootfs }] }));
  await t.throwsAsync(removeImage('example/app:v2', { imageRoot, stateRoot }), { message: /in use by pod web/ });
  const pruned = await pruneImages({ imageRoot, stateRoot });
  t.deepEqual(pruned.removed, [rootfsImport.digest!], 'prune keeps what a pod uses');
  t.false((await listImages({ imageRoot })).some((r) => r.reference === 'toolbox:local'));

  const removed = await removeImage('example/app:v2', { imageRoot, stateRoot: path.join(dir, 'no-pods') });
  t.true(removed.removedEntry);
  t.deepEqual(await listImages({ imageRoot }), []);
  await t.throwsAsync(removeImage('example/app:v2', { imageRoot }), { message: /not in the image cache/ });
});
