import test from 'ava';
import { ociArchitecture, parseImageReference, platformMatches, splitPathTag } from '../../src/image/reference.js';
import { envListToRecord, numericUser, withImageDefaults } from '../../src/image/config.js';
import { entryPath } from '../../src/image/extract.js';
import { selectFromIndex } from '../../src/image/oci.js';

test('reference kinds', (t) => {
  const cwd = '/m';
  t.deepEqual(parseImageReference('busybox', cwd), { kind: 'toolbox' });
  t.deepEqual(parseImageReference('tar:x/rootfs.img', cwd), { kind: 'tar', path: '/m/x/rootfs.img' });
  t.deepEqual(parseImageReference('./rootfs.tgz', cwd), { kind: 'tar', path: '/m/rootfs.tgz' });
  t.deepEqual(parseImageReference('/a/b.tar.gz', cwd), { kind: 'tar', path: '/a/b.tar.gz' });
  t.deepEqual(parseImageReference('oci:/l:v2', cwd), { kind: 'oci', path: '/l', tag: 'v2' });
  t.deepEqual(parseImageReference('oci:layout', cwd), { kind: 'oci', path: '/m/layout', tag: undefined });
  t.deepEqual(parseImageReference('oci-archive:/a.tar:v1', cwd), { kind: 'oci-archive', path: '/a.tar', tag: 'v1' });
  t.deepEqual(parseImageReference('docker-archive:/a.tar', cwd), { kind: 'skopeo', source: 'docker-archive:/a.tar', file: '/a.tar' });
  t.deepEqual(parseImageReference('docker-archive:a.tar:x/y:1', cwd), {
    kind: 'skopeo',
    source: 'docker-archive:/m/a.tar:x/y:1',
    file: '/m/a.tar',
  });
  t.deepEqual(parseImageReference('docker.io/library/nginx:1.27', cwd), {
    kind: 'dir',
    path: '/m/docker.io/library/nginx:1.27',
    registry: 'docker://docker.io/library/nginx:1.27',
  });
  t.deepEqual(parseImageReference('nginx:1.27', cwd), { kind: 'dir', path: '/m/nginx:1.27', registry: 'docker://nginx:1.27' });
  t.deepEqual(parseImageReference('myrootfs', cwd), { kind: 'dir', path: '/m/myrootfs' }, 'a bare word is a directory, never a pull');
  t.deepEqual(parseImageReference('./rootfs', cwd), { kind: 'dir', path: '/m/rootfs' });
  t.deepEqual(splitPathTag('/a:b/c'), { path: '/a:b/c' });
  t.throws(() => parseImageReference(' ', cwd), { message: /empty/ });
});

test('platforms, env, users', (t) => {
  t.is(ociArchitecture('x64'), 'amd64');
  t.is(ociArchitecture('arm64'), 'arm64');
  t.true(platformMatches({ os: 'linux', architecture: 'arm64', variant: 'v8' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }));
  t.false(platformMatches({ os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'arm', variant: 'v7' }));
  t.false(platformMatches(undefined, { os: 'linux', architecture: 'amd64' }));
  t.deepEqual(envListToRecord(['A=1', 'B=x=y', 'A=2']), { A: '2', B: 'x=y' });
  const passwd = 'root:x:0:0::/root:/bin/sh\nweb:x:101:102::/:/bin/false\n';
  const group = 'root:x:0:\nwww:x:33:\n';
  t.deepEqual(numericUser('web', passwd, group), { uid: 101, gid: 102 });
  t.deepEqual(numericUser('web:www', passwd, group), { uid: 101, gid: 33 });
  t.deepEqual(numericUser('101', passwd, group), { uid: 101, gid: 102 });
  t.deepEqual(numericUser('5000', passwd, group), { uid: 5000, gid: 0 });
  t.deepEqual(numericUser('5000:7', passwd, group), { uid: 5000, gid: 7 });
  t.throws(() => numericUser('ghost', passwd, group), { message: /no user "ghost"/ });
  t.throws(() => numericUser('web:ghosts', passwd, group), { message: /no group "ghosts"/ });
});

test('entry paths: .. and absolute names are refused, the rest cleaned', (t) => {
  t.deepEqual(entryPath('./usr//bin/'), { rel: 'usr/bin' });
  t.deepEqual(entryPath('./'), { rel: '' });
  t.deepEqual(entryPath('a/../../b'), { refused: 'path with ".."' });
  t.deepEqual(entryPath('/etc/passwd'), { refused: 'absolute path' });
});

test('index selection: by tag, then by platform; clear errors otherwise', (t) => {
  const host = { os: 'linux', architecture: 'amd64' };
  const d = (digest: string, tag?: string, arch?: string) => ({
    digest,
    ...(tag ? { annotations: { 'org.opencontainers.image.ref.name': tag } } : {}),
    ...(arch ? { platform: { os: 'linux', architecture: arch } } : {}),
  });
  t.is(selectFromIndex('L', [d('a', 'v1'), d('b', 'v2')], 'v2', host).digest, 'b');
  t.is(selectFromIndex('L', [d('a')], undefined, host).digest, 'a');
  t.is(selectFromIndex('L', [d('a', undefined, 'arm64'), d('b', undefined, 'amd64')], undefined, host).digest, 'b');
  t.throws(() => selectFromIndex('L', [d('a', 'v1'), d('b', 'v2')], undefined, host), { message: /no tag given/ });
  t.throws(() => selectFromIndex('L', [d('a', 'v1')], 'v3', host), { message: /no tag "v3"/ });
});

test('withImageDefaults: Kubernetes rules, User as numbers', (t) => {
  const d = { entrypoint: ['/e'], cmd: ['c'], env: { A: 'img', B: 'img' }, workingDir: '/w', user: '10:20' };
  t.deepEqual(withImageDefaults({ name: 'x', image: 'i' }, d), {
    name: 'x',
    image: 'i',
    command: ['/e'],
    args: ['c'],
    env: { A: 'img', B: 'img' },
    workingDir: '/w',
    user: { uid: 10, gid: 20 },
  });
  const over = withImageDefaults({ name: 'x', image: 'i', command: ['/m'], env: { A: 'm' }, workingDir: '/mw', user: { uid: 0 } }, d);
  t.deepEqual(
    [over.command, over.args, over.env, over.workingDir, over.user],
    [['/m'], undefined, { A: 'm', B: 'img' }, '/mw', { uid: 0 }],
  );
  t.deepEqual(withImageDefaults({ name: 'x', image: 'i', args: ['a'] }, d).command, ['/e']);
  t.deepEqual(withImageDefaults({ name: 'x', image: 'i', args: ['a'] }, d).args, ['a']);
  t.throws(() => withImageDefaults({ name: 'x', image: 'i' }, { user: 'web' }), { message: /not numeric/ });
});
