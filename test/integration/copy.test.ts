import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { isNspodError } from '../../src/errors.js';
import { waitForLogLine } from '../../src/pod/wait.js';
import type { Pod } from '../../src/pod/pod.js';
import { testPod } from '../helpers/pods.js';
import { tempDir } from '../helpers/images.js';
import { nspod, NSPOD_BIN } from '../helpers/cli.js';
import { RUNTIME } from '../helpers/host.js';
import { execa } from 'execa';

/** The entries of a tar stream: name → content (directories and symlinks: their type, a symlink's target). */
async function untar(stream: Readable): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const extract = tarStream.extract();
  stream.pipe(extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    const h = entry.header;
    out.set(h.name, h.type === 'file' ? Buffer.concat(chunks).toString() : h.type === 'symlink' ? `-> ${h.linkname}` : h.type);
  }
  return out;
}

function tarOf(entries: { name: string; type?: 'symlink'; linkname?: string; content?: string }[]): Readable {
  const pack = tarStream.pack();
  for (const { content, ...header } of entries) {
    if (header.type === 'symlink') pack.entry(header);
    else pack.entry(header, content ?? '');
  }
  pack.finalize();
  return pack as unknown as Readable;
}

const sha = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
const cat = async (pod: Pod, file: string) => (await pod.exec('app', ['cat', file])).stdout;

async function copyPod(t: import('ava').ExecutionContext) {
  const { pod } = await testPod(t, {
    network: 'none',
    restartPolicy: 'Never',
    volumes: [{ name: 'data', emptyDir: {} }],
    containers: [
      { name: 'app', image: 'busybox', command: ['sleep', '3600'], volumeMounts: [{ name: 'data', mountPath: '/data' }] },
      {
        name: 'done',
        image: 'busybox',
        command: [
          'sh',
          '-c',
          'mkdir -p /out/dir/sub && echo made > /out/result.txt && echo deep > /out/dir/sub/f && ln -s sub/f /out/dir/link && echo finished',
        ],
      },
    ],
  });
  return pod;
}

test('copyIn a string and a host directory into a running container (rootfs and volume); copyOut a file and a directory as tar from an exited one', async (t) => {
  const pod = await copyPod(t);
  await pod.copyIn('app', '/tmp/hello.txt', 'hello, pod\n', { mode: 0o640, uid: 1000, gid: 1000 });
  t.is(await cat(pod, '/tmp/hello.txt'), 'hello, pod');
  t.is((await pod.exec('app', ['stat', '-c', '%a %u:%g', '/tmp/hello.txt'])).stdout, '640 1000:1000');
  await pod.copyIn('app', '/data/bytes.bin', Buffer.from([0, 1, 2, 255]));
  t.is((await pod.exec('app', ['od', '-An', '-tx1', '/data/bytes.bin'])).stdout.trim(), '00 01 02 ff');
  // A host directory: into /data (a directory there: /data/fixtures), and as /srv/fx (not there: it becomes it).
  const host = await tempDir(t, 'copy-src');
  const fixtures = path.join(host, 'fixtures');
  await mkdir(path.join(fixtures, 'sub'), { recursive: true });
  await writeFile(path.join(fixtures, 'a.txt'), 'A\n');
  await writeFile(path.join(fixtures, 'sub', 'b.sql'), 'select 1;\n', { mode: 0o600 });
  await pod.copyIn('app', '/data', { path: fixtures });
  t.is(await cat(pod, '/data/fixtures/sub/b.sql'), 'select 1;');
  t.is((await pod.exec('app', ['stat', '-c', '%a %u', '/data/fixtures/sub/b.sql'])).stdout, '600 0');
  await pod.copyIn('app', '/srv/fx', { path: fixtures });
  t.is(await cat(pod, '/srv/fx/a.txt'), 'A');
  // A host file into a directory keeps its name; to a new path takes that one.
  await pod.copyIn('app', '/tmp', { path: path.join(fixtures, 'a.txt') });
  await pod.copyIn('app', '/tmp/renamed.txt', { path: path.join(fixtures, 'a.txt') });
  t.is(await cat(pod, '/tmp/a.txt'), 'A');
  t.is(await cat(pod, '/tmp/renamed.txt'), 'A');
  // A tar stream, extracted into a directory.
  await pod.copyIn('app', '/data/from-tar', tarOf([{ name: 'x/y.txt', content: 'why\n' }]));
  t.is(await cat(pod, '/data/from-tar/x/y.txt'), 'why');
  // The volume's files come out as they went in.
  t.deepEqual(await untar(await pod.copyOut('app', '/data/fixtures/a.txt')), new Map([['a.txt', 'A\n']]));

  await waitForLogLine(pod, 'done', /^finished$/, { timeout: 20_000 });
  t.is((await pod.container('done')).state, 'exited');
  t.deepEqual(await untar(await pod.copyOut('done', '/out/result.txt')), new Map([['result.txt', 'made\n']]));
  t.deepEqual(
    await untar(await pod.copyOut('done', '/out/dir')),
    new Map([
      ['dir', 'directory'],
      ['dir/link', '-> sub/f'],
      ['dir/sub', 'directory'],
      ['dir/sub/f', 'deep\n'],
    ]),
  );
  const out = await tempDir(t, 'copy-out');
  await pod.copyOutTo('done', '/out/dir', out);
  t.is(await readFile(path.join(out, 'dir', 'sub', 'f'), 'utf8'), 'deep\n');
  // Into an exited container too.
  await pod.copyIn('done', '/out/late.txt', 'late\n');
  t.deepEqual(await untar(await pod.copyOut('done', '/out/late.txt')), new Map([['late.txt', 'late\n']]));
  const missing = await t.throwsAsync(pod.copyOut('done', '/out/nothing'));
  t.true(isNspodError(missing, 'INVALID_SPEC'), String(missing));
  t.regex(missing!.message, /\/out\/nothing: no such file or directory/);
  const proc = await t.throwsAsync(pod.copyIn('app', '/proc/x', 'x'));
  t.regex(proc!.message, /is on its proc mount at \/proc/);
});

test("symlinks in the container are followed inside its root only: /etc/shadow, ../../ and / lead to the container's files", async (t) => {
  const pod = await copyPod(t);
  const hostShadow = await sha('/etc/shadow');
  const marker = `nspod-copy-marker-${process.pid}`;
  const setup = [
    'echo container-shadow > /etc/shadow',
    'ln -s /etc/shadow /tmp/abs',
    'ln -s ../../../../../../../etc/shadow /tmp/rel',
    'ln -s / /tmp/root',
    'mkdir -p /tmp/deep/er && ln -s ../../../../../.. /tmp/deep/er/up',
    'ln -s /etc /data/etc',
  ].join(' && ');
  t.is((await pod.exec('app', ['sh', '-c', setup])).exitCode, 0);
  // Reads: each symlink resolves to the container's /etc/shadow, whose marker content is what comes out.
  for (const link of ['/tmp/abs', '/tmp/rel', '/tmp/root/etc/shadow', '/tmp/deep/er/up/etc/shadow', '/data/etc/shadow'])
    t.deepEqual(await untar(await pod.copyOut('app', link)), new Map([['shadow', 'container-shadow\n']]), link);
  // Writes through them land in the container, never on the host.
  await pod.copyIn('app', '/tmp/rel', 'written-through-rel\n');
  t.is(await cat(pod, '/etc/shadow'), 'written-through-rel');
  await pod.copyIn('app', `/tmp/deep/er/up/etc/${marker}`, 'x');
  await pod.copyIn('app', `/tmp/root/etc/${marker}-2`, { path: '/etc/hostname' });
  t.is(await cat(pod, `/etc/${marker}`), 'x');
  t.is((await pod.exec('app', ['test', '-f', `/etc/${marker}-2`])).exitCode, 0);
  // A tar whose symlink entry points at /etc, then a file under it: the file goes to the container's /etc.
  await pod.copyIn(
    'app',
    '/data/evil',
    tarOf([
      { name: 'escape', type: 'symlink', linkname: '/etc' },
      { name: `escape/${marker}-3`, content: 'tar\n' },
      { name: `../../../../etc/${marker}-4`, content: 'dots\n' },
    ]),
  );
  t.is(await cat(pod, `/etc/${marker}-3`), 'tar');
  t.is(await cat(pod, `/data/evil/etc/${marker}-4`), 'dots');
  for (const suffix of ['', '-2', '-3', '-4']) t.false(existsSync(`/etc/${marker}${suffix}`), `host /etc/${marker}${suffix}`);
  t.is(await sha('/etc/shadow'), hostShadow, "the host's /etc/shadow is untouched");
});

test('nspod cp: a file and a directory out of an exited container and into a running one, - as a tar stream, one-line errors', async (t) => {
  const { pod, root } = await (async () => {
    const p = await copyPod(t);
    return { pod: p, root: path.dirname(path.dirname(p.dir)) };
  })();
  await waitForLogLine(pod, 'done', /^finished$/, { timeout: 20_000 });
  const host = await tempDir(t, 'cp');
  // Out: into a host directory (as its name there), and to a new host name.
  t.is((await nspod(root, ['cp', `${pod.name}:done:/out/dir`, host])).exitCode, 0);
  t.is(await readFile(path.join(host, 'dir', 'sub', 'f'), 'utf8'), 'deep\n');
  t.is((await nspod(root, ['cp', `${pod.name}:done:/out/result.txt`, path.join(host, 'copy.txt')])).exitCode, 0);
  t.is(await readFile(path.join(host, 'copy.txt'), 'utf8'), 'made\n');
  // In: a host directory into the first app container (none named), and a tar on stdin.
  t.is((await nspod(root, ['cp', path.join(host, 'dir'), `${pod.name}:/data`])).exitCode, 0);
  t.is(await cat(pod, '/data/dir/sub/f'), 'deep');
  const listed = await execa('sh', ['-c', `node ${NSPOD_BIN} --root ${root} --runtime ${RUNTIME} cp ${pod.name}:done:/out/dir - | tar -t`]);
  t.deepEqual(listed.stdout.split('\n').sort(), ['dir', 'dir/link', 'dir/sub', 'dir/sub/f']);
  const piped = await execa('sh', [
    '-c',
    `printf 'x\\n' > ${host}/x.txt && tar -C ${host} -c x.txt | node ${NSPOD_BIN} --root ${root} --runtime ${RUNTIME} cp - ${pod.name}:app:/srv/in`,
  ]);
  t.is(piped.exitCode, 0, piped.stderr);
  t.is(await cat(pod, '/srv/in/x.txt'), 'x');
  // Errors: one line each, naming what is missing.
  for (const [args, said] of [
    [['cp', 'nopod:/x', host], /no pod named "nopod"/],
    [['cp', `${pod.name}:nope:/x`, host], /has no container "nope"/],
    [['cp', `${pod.name}:done:/out/nothing`, host], /\/out\/nothing: no such file or directory/],
    [['cp', path.join(host, 'missing'), `${pod.name}:/tmp`], /missing: no such file or directory on the host/],
  ] as const) {
    const r = await nspod(root, [...args]);
    t.is(r.exitCode, 1, r.stderr);
    t.regex(r.stderr, said);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  t.regex((await nspod(root, ['cp', '--help'])).stdout, /POD\[:CONTAINER\]:PATH/);
});
