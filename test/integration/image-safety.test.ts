/** Hostile and broken archives: nothing outside the target changes, the error names the entry, no cache entry is left. */
import test from 'ava';
import { mkdir, readdir, readFile, writeFile, stat, truncate, lstat, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { resolveImage } from '../../src/image/resolve.js';
import { extractTarball } from '../../src/image/extract.js';
import { isNspodError } from '../../src/errors.js';
import { buildLayout, tempDir, toolboxTarball, umoci, writeTar, type TarEntry } from '../helpers/images.js';

/** A canary file in its own temp dir, outside any target. */
async function canary(dir: string): Promise<{ file: string; dir: string; check: () => Promise<boolean> }> {
  const canaryDir = path.join(dir, 'outside');
  await mkdir(canaryDir);
  const file = path.join(canaryDir, 'canary');
  await writeFile(file, 'untouched\n');
  const before = await readdir(canaryDir);
  return {
    file,
    dir: canaryDir,
    check: async () =>
      (await readFile(file, 'utf8')) === 'untouched\n' && JSON.stringify(await readdir(canaryDir)) === JSON.stringify(before),
  };
}

async function cacheEntries(imageRoot: string): Promise<string[]> {
  const out: string[] = [];
  for (const sub of ['entries', 'tmp'])
    out.push(...(await readdir(path.join(imageRoot, sub)).catch(() => [] as string[])).map((n) => `${sub}/${n}`));
  return out;
}

const hostile: {
  title: string;
  entries: (canaryFile: string, target: string) => TarEntry[];
  entry: (canaryFile: string, target: string) => string;
  why: RegExp;
}[] = [
  {
    title: '../ escape',
    entries: (c, target) => [{ name: `${path.relative(target, c)}`, content: 'pwned\n' }],
    entry: (c, target) => path.relative(target, c),
    why: /path with ".."/,
  },
  {
    title: 'absolute path',
    entries: (c) => [{ name: c, content: 'pwned\n' }],
    entry: (c) => c,
    why: /absolute path/,
  },
  {
    title: 'symlink escape, then a write through it',
    entries: (c) => [
      { name: 'evil', type: 'symlink', linkname: path.dirname(c) },
      { name: 'evil/canary', content: 'pwned\n' },
    ],
    entry: () => 'evil/canary',
    why: /through the symlink "evil"/,
  },
  {
    title: 'relative symlink escape, then a write through it',
    entries: (c, target) => [
      { name: 'up', type: 'symlink', linkname: path.relative(target, path.dirname(c)) },
      { name: 'up/new-file', content: 'pwned\n' },
    ],
    entry: () => 'up/new-file',
    why: /through the symlink "up"/,
  },
  {
    title: 'hard link to a file outside, then a write through it',
    entries: (c, target) => [
      { name: 'hl', type: 'link', linkname: path.relative(target, c) },
      { name: 'hl', content: 'pwned\n' },
    ],
    entry: () => 'hl',
    why: /hard link .* outside/,
  },
  {
    title: 'hard link through a symlink to a file outside, then a write through it',
    entries: (c) => [
      { name: 'dirlink', type: 'symlink', linkname: path.dirname(c) },
      { name: 'hl', type: 'link', linkname: 'dirlink/canary' },
      { name: 'hl', content: 'pwned\n' },
    ],
    entry: () => 'hl',
    why: /through the symlink "dirlink"/,
  },
  {
    title: 'hard link to a symlink that points outside',
    entries: (c) => [
      { name: 'sym', type: 'symlink', linkname: c },
      { name: 'hl', type: 'link', linkname: 'sym' },
      { name: 'hl', content: 'pwned\n' },
    ],
    entry: () => 'hl',
    why: /not a valid hardlink/,
  },
  {
    title: 'symlink loop',
    entries: () => [
      { name: 'a', type: 'symlink', linkname: 'b' },
      { name: 'b', type: 'symlink', linkname: 'a' },
      { name: 'a/x', content: 'pwned\n' },
    ],
    entry: () => 'a/x',
    why: /through the symlink "a"/,
  },
];

for (const h of hostile) {
  test(`extraction refuses a ${h.title} and changes nothing outside`, async (t) => {
    const dir = await tempDir(t, 'img-evil');
    const c = await canary(dir);
    const imageRoot = path.join(dir, 'images');
    const target = path.join(imageRoot, 'entries', 'x', 'rootfs'); // where the unpack happens, 4 levels below dir
    const tarball = await writeTar(path.join(dir, 'evil.tar'), h.entries(c.file, target));
    const err = await t.throwsAsync(resolveImage(`tar:${tarball}`, { imageRoot }));
    t.true(isNspodError(err, 'IMAGE_INVALID'), String(err));
    t.regex(err!.message, h.why);
    t.true(err!.message.includes(`entry ${JSON.stringify(h.entry(c.file, target))}:`), err!.message);
    t.true(await c.check(), 'the canary and its directory are unchanged');
    t.deepEqual(await cacheEntries(imageRoot), [], 'no cache entry and no temp dir is left');
  });
}

test('a device node is neutralised (skipped), a fifo too; regular content next to them is written', async (t) => {
  const dir = await tempDir(t, 'img-dev');
  const target = path.join(dir, 'target');
  await mkdir(target);
  const tarball = await writeTar(path.join(dir, 'dev.tar'), [
    { name: 'dev/', type: 'directory' },
    { name: 'dev/null', type: 'character-device' },
    { name: 'dev/pipe', type: 'fifo' },
    { name: 'etc/hostname', content: 'ok\n' },
  ]);
  const r = await extractTarball(tarball, target, { label: 'dev.tar' });
  t.deepEqual(r.skipped, ['dev/null', 'dev/pipe']);
  t.false(existsSync(path.join(target, 'dev', 'null')));
  t.is(await readFile(path.join(target, 'etc', 'hostname'), 'utf8'), 'ok\n');
});

test('modes with setuid and sticky bits, owners, mtimes, symlinks and hard links are kept', async (t) => {
  const dir = await tempDir(t, 'img-modes');
  const target = path.join(dir, 'target');
  await mkdir(target);
  const tarball = await writeTar(path.join(dir, 'modes.tar'), [
    { name: 'tmp/', type: 'directory', mode: 0o1777 },
    { name: 'bin/su', content: '#!/bin/sh\n', mode: 0o4755 },
    { name: 'home/web/', type: 'directory', mode: 0o2750, uid: 1000, gid: 1001 },
    { name: 'home/web/.profile', content: 'x\n', mode: 0o6755, uid: 1000, gid: 1001 },
    { name: 'home/web/link', type: 'symlink', linkname: '.profile', uid: 1000, gid: 1001 },
    { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox' },
    { name: 'bin/su2', type: 'link', linkname: 'bin/su' },
  ]);
  await extractTarball(tarball, target, { label: 'modes.tar' });
  t.is((await stat(path.join(target, 'tmp'))).mode & 0o7777, 0o1777);
  const su = await stat(path.join(target, 'bin/su'));
  t.is(su.mode & 0o7777, 0o4755);
  t.is(su.mtimeMs, 1_700_000_000_000);
  t.is(su.ino, (await stat(path.join(target, 'bin/su2'))).ino, 'the hard link shares the inode');
  const web = await stat(path.join(target, 'home/web'));
  t.deepEqual([web.uid, web.gid, web.mode & 0o7777], [1000, 1001, 0o2750]);
  const profile = await stat(path.join(target, 'home/web/.profile'));
  t.deepEqual([profile.uid, profile.gid, profile.mode & 0o7777], [1000, 1001, 0o6755], 'owner set, then setuid/setgid kept');
  t.is((await lstat(path.join(target, 'home/web/link'))).uid, 1000, 'a symlink gets its owner too');
  t.true((await lstat(path.join(target, 'bin/sh'))).isSymbolicLink(), 'an absolute symlink inside a rootfs is fine: it is only text');
  t.is((await stat(path.join(target, 'tmp'))).mtimeMs, 1_700_000_000_000, 'dir mtimes survive the files written into them');
});

test('a truncated gzip rootfs tarball fails clearly and leaves no cache entry', async (t) => {
  const dir = await tempDir(t, 'img-trunc');
  const imageRoot = path.join(dir, 'images');
  const tarball = await toolboxTarball(dir, true);
  await truncate(tarball, Math.floor((await stat(tarball)).size / 2));
  const err = await t.throwsAsync(resolveImage(tarball, { imageRoot }));
  t.true(isNspodError(err, 'IMAGE_INVALID'));
  t.regex(err!.message, /truncated/);
  t.deepEqual(await cacheEntries(imageRoot), []);
});

test('a truncated uncompressed rootfs tarball fails clearly and leaves no cache entry', async (t) => {
  const dir = await tempDir(t, 'img-trunc2');
  const imageRoot = path.join(dir, 'images');
  const tarball = await toolboxTarball(dir, false);
  await truncate(tarball, 700_000);
  const err = await t.throwsAsync(resolveImage(tarball, { imageRoot }));
  t.true(isNspodError(err, 'IMAGE_INVALID'));
  t.regex(err!.message, /truncated|Unexpected end/);
  t.deepEqual(await cacheEntries(imageRoot), []);
});

test('an OCI layer whose bytes do not match its digest fails, names the layer, and leaves no cache entry', async (t) => {
  const dir = await tempDir(t, 'img-digest');
  const imageRoot = path.join(dir, 'images');
  const layout = await buildLayout(dir, []);
  const manifest = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')).manifests.find(
    (m: { annotations: Record<string, string> }) => m.annotations['org.opencontainers.image.ref.name'] === 'v2',
  );
  const layers = JSON.parse(await readFile(path.join(layout, 'blobs', 'sha256', manifest.digest.slice(7)), 'utf8')).layers as {
    digest: string;
  }[];
  const blob = path.join(layout, 'blobs', 'sha256', layers[1]!.digest.slice(7));
  const bytes = await readFile(blob);
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff; // same size, one byte off
  await writeFile(blob, bytes);
  const err = await t.throwsAsync(resolveImage(`oci:${layout}:v2`, { imageRoot }));
  t.true(isNspodError(err, 'IMAGE_INVALID'), String(err));
  t.regex(err!.message, /layer 2\/2 .*(digest mismatch|truncated|invalid)/);
  t.deepEqual(await cacheEntries(imageRoot), []);
});

test('a truncated OCI layer fails and leaves no cache entry', async (t) => {
  const dir = await tempDir(t, 'img-trunc3');
  const imageRoot = path.join(dir, 'images');
  const layout = await buildLayout(dir, []);
  const manifest = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')).manifests.find(
    (m: { annotations: Record<string, string> }) => m.annotations['org.opencontainers.image.ref.name'] === 'v1',
  );
  const layers = JSON.parse(await readFile(path.join(layout, 'blobs', 'sha256', manifest.digest.slice(7)), 'utf8')).layers as {
    digest: string;
  }[];
  const blob = path.join(layout, 'blobs', 'sha256', layers[0]!.digest.slice(7));
  await truncate(blob, 4096);
  const err = await t.throwsAsync(resolveImage(`oci:${layout}:v1`, { imageRoot }));
  t.true(isNspodError(err, 'IMAGE_INVALID'), String(err));
  t.regex(err!.message, /truncated/);
  t.deepEqual(await cacheEntries(imageRoot), []);
});

test('a directory replaced by a symlink to the outside: the final mtime pass does not follow it', async (t) => {
  const dir = await tempDir(t, 'image-utimes');
  const c = await canary(dir);
  const before = (await stat(c.dir)).mtimeMs;
  const target = path.join(dir, 'target');
  await mkdir(target);
  // `etc` first a directory (its mtime is set again at the end), then a symlink to the canary's directory.
  const tar = await writeTar(path.join(dir, 'swap.tar'), [
    { name: 'etc', type: 'directory' },
    { name: 'etc', type: 'symlink', linkname: c.dir },
  ]);
  await extractTarball(tar, target, { label: 'tarball swap.tar' }).catch(() => undefined);
  t.is((await stat(c.dir)).mtimeMs, before, 'the outside directory keeps its mtime');
  t.true(await c.check());
});

test("an image whose etc is a symlink to the host's /etc: its User is not looked up in the host's passwd", async (t) => {
  const dir = await tempDir(t, 'image-user');
  const layout = path.join(dir, 'layout');
  const bundle = path.join(dir, 'bundle');
  await umoci('init', '--layout', layout);
  await umoci('new', '--image', `${layout}:base`);
  await umoci('unpack', '--image', `${layout}:base`, bundle);
  await symlink('/etc', path.join(bundle, 'rootfs', 'etc'));
  await umoci('repack', '--image', `${layout}:v1`, bundle);
  // `daemon` exists in the host's /etc/passwd, not in the image.
  await umoci('config', '--image', `${layout}:v1`, '--tag', 'v1', '--config.user', 'daemon');
  const imageRoot = path.join(dir, 'images');
  const e = await t.throwsAsync(resolveImage(`oci:${layout}:v1`, { imageRoot }));
  t.regex(e!.message, /no user "daemon"/);
});
