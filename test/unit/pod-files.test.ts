import test from 'ava';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { podMounts, prepareHostPath, readOnlyWarnings, refuseHostPathsOverOwnDirs } from '../../src/pod/files.js';
import { podSpecProblems } from '../../src/spec/spec.js';
import { parseManifest } from '../../src/manifest/manifest.js';
import type { PodSpec } from '../../src/spec/spec.js';

test("a container gets the pod's hosts, hostname and resolv.conf, then its volumes: a disk emptyDir under the data dir, a Memory one under the pod dir, hostPath as named", (t) => {
  const spec: PodSpec = {
    name: 'web',
    volumes: [
      { name: 'cache', emptyDir: {} },
      { name: 'data', hostPath: { path: '/srv/data' } },
      { name: 'ram', emptyDir: { medium: 'Memory' } },
    ],
    containers: [
      {
        name: 'app',
        image: 'busybox',
        volumeMounts: [
          { name: 'data', mountPath: '/data', readOnly: true },
          { name: 'cache', mountPath: '/cache' },
          { name: 'ram', mountPath: '/ram' },
        ],
      },
    ],
  };
  const dirs = { dir: '/run/nspod/pods/web', dataDir: '/var/lib/nspod/roots/0123456789abcdef/web-01234567' };
  const mounts = podMounts(dirs, spec, spec.containers[0]!, { images: new Map(), env: {} });
  t.deepEqual(
    mounts.map((m) => [m.source, m.destination, m.options?.includes('ro') ? 'ro' : 'rw']),
    [
      ['/run/nspod/pods/web/etc/hosts', '/etc/hosts', 'rw'],
      ['/run/nspod/pods/web/etc/hostname', '/etc/hostname', 'rw'],
      ['/run/nspod/pods/web/etc/resolv.conf', '/etc/resolv.conf', 'rw'],
      ['/srv/data', '/data', 'ro'],
      ['/var/lib/nspod/roots/0123456789abcdef/web-01234567/volumes/cache', '/cache', 'rw'],
      ['/run/nspod/pods/web/volumes/ram', '/ram', 'rw'],
      ['/run/nspod/pods/web/containers/app/termination-log', '/dev/termination-log', 'rw'],
    ],
  );
});

test('hostPath types: what must be there is checked, the *OrCreate types make it, an unknown type is refused', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nspod-hostpath-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'file');
  await writeFile(file, 'x');
  await mkdir(path.join(dir, 'sub'));
  await prepareHostPath('v', dir, undefined);
  await prepareHostPath('v', dir, 'Directory');
  await prepareHostPath('v', file, 'File');
  await prepareHostPath('v', '/dev/null', 'CharDevice');
  const bad = async (p: string, type: string | undefined, why: RegExp) => {
    await t.throwsAsync(prepareHostPath('v', p, type), { message: why }, `${p} ${type}`);
  };
  await bad(path.join(dir, 'none'), undefined, /^volume v: hostPath .*\/none does not exist \(give a type such as DirectoryOrCreate/);
  await bad(file, 'Directory', /is not an existing directory$/);
  await bad(path.join(dir, 'none'), 'File', /is not an existing file$/);
  await bad(file, 'DirectoryOrCreate', /is not a directory$/);
  await bad(path.join(dir, 'sub'), 'FileOrCreate', /is not a file$/);
  await bad(file, 'Socket', /is not an existing socket$/);
  await bad(file, 'BlockDevice', /is not an existing block device$/);
  await bad(dir, 'Dir', /has an unknown type "Dir"$/);
  await bad(dir, 'constructor', /has an unknown type "constructor"$/);
  await prepareHostPath('v', path.join(dir, 'made', 'deep'), 'DirectoryOrCreate');
  t.true(statSync(path.join(dir, 'made', 'deep')).isDirectory());
  await prepareHostPath('v', path.join(dir, 'new-file'), 'FileOrCreate');
  t.true(statSync(path.join(dir, 'new-file')).isFile());
  t.false(existsSync(path.join(dir, 'none')));
});

test("a hostPath inside the state root, the image cache or the runtime's root, or containing one, is refused; / is not", async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nspod-own-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const root = path.join(dir, 'state');
  await mkdir(path.join(root, 'runtime', 'runc'), { recursive: true });
  await symlink(root, path.join(dir, 'link'));
  const own = [
    { what: 'the state root', path: root },
    { what: "the runtime's root", path: path.join(root, 'runtime', 'runc') },
    { what: 'the image cache', path: path.join(dir, 'images') },
  ];
  const spec = (hostPath: string): PodSpec => ({
    name: 'p',
    volumes: [
      { name: 'ok', emptyDir: {} },
      { name: 'h', hostPath: { path: hostPath } },
    ],
    containers: [{ name: 'a', image: 'busybox' }],
  });
  const refused = async (hostPath: string, why: RegExp) => {
    await t.throwsAsync(refuseHostPathsOverOwnDirs(spec(hostPath), own), { message: why }, hostPath);
  };
  await refused(
    path.join(root, 'pods', 'other', 'containers'),
    /^volumes\[1\]\.hostPath\.path: \S+ is inside the state root \S+: its containers would reach other pods' rootfs, records and Secrets$/,
  );
  await refused(root, /is inside the state root/);
  await refused(path.join(dir, 'link', 'pods'), /link\/pods is inside the state root/);
  await refused(dir, /contains the state root/);
  await refused(path.join(dir, 'images', 'entries', 'not-yet'), /is inside the image cache/);
  await refused(os.tmpdir(), /contains the state root/);
  await refuseHostPathsOverOwnDirs(spec('/'), own);
  await refuseHostPathsOverOwnDirs(spec(path.join(dir, 'elsewhere')), own);
  await refuseHostPathsOverOwnDirs(spec(`${root}-sibling`), own);
  t.pass();
});

test('recursiveReadOnly as Kubernetes has it: Disabled leaves submounts writable, unset and IfPossible make them read-only where the host can; Enabled fails where it cannot', (t) => {
  const spec = (recursiveReadOnly?: 'Disabled' | 'IfPossible' | 'Enabled'): PodSpec => ({
    name: 'p',
    volumes: [{ name: 'h', hostPath: { path: '/srv' } }],
    containers: [
      {
        name: 'a',
        image: 'busybox',
        volumeMounts: [{ name: 'h', mountPath: '/h', readOnly: true, ...(recursiveReadOnly ? { recursiveReadOnly } : {}) }],
      },
    ],
  });
  const options = (s: PodSpec, recursive: boolean) =>
    podMounts({ dir: '/run/nspod/pods/p' }, s, s.containers[0]!, { images: new Map(), env: {}, recursiveReadOnly: recursive }).find(
      (m) => m.destination === '/h',
    )!.options;
  t.deepEqual(options(spec(), true), ['rbind', 'rprivate', 'ro', 'rro']);
  t.deepEqual(options(spec('IfPossible'), true), ['rbind', 'rprivate', 'ro', 'rro']);
  t.deepEqual(options(spec('Enabled'), true), ['rbind', 'rprivate', 'ro', 'rro']);
  t.deepEqual(options(spec('Disabled'), true), ['rbind', 'rprivate', 'ro']);
  t.deepEqual(options(spec(), false), ['rbind', 'rprivate', 'ro']);
  t.deepEqual(readOnlyWarnings(spec(), true), []);
  t.regex(readOnlyWarnings(spec(), false)[0]!, /^containers\[0\]\.volumeMounts\[0\]\.readOnly: its submounts stay writable/);
  t.deepEqual(readOnlyWarnings(spec('IfPossible'), false), []);
  t.deepEqual(readOnlyWarnings(spec('Disabled'), false), []);
  t.throws(() => readOnlyWarnings(spec('Enabled'), false), {
    message: /^containers\[0\]\.volumeMounts\[0\]\.recursiveReadOnly: Enabled, but this host cannot/,
  });
  const problems = podSpecProblems({
    ...spec(),
    containers: [
      { name: 'a', image: 'busybox', command: ['true'], volumeMounts: [{ name: 'h', mountPath: '/h', recursiveReadOnly: 'Enabled' }] },
    ],
  });
  t.deepEqual(
    problems.map((p) => `${p.field}: ${p.why}`),
    ['containers[0].volumeMounts[0].recursiveReadOnly: Enabled needs readOnly: true'],
  );
});

test('a manifest says recursiveReadOnly as Kubernetes writes it; an unknown value is refused on its line', (t) => {
  const manifest = (value: string) => `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  volumes: [{name: h, hostPath: {path: /srv}}]
  containers:
  - name: a
    image: busybox
    command: ["true"]
    volumeMounts:
    - {name: h, mountPath: /h, readOnly: true, recursiveReadOnly: ${value}}
`;
  t.is(
    parseManifest(manifest('IfPossible'), { file: 'pod.yaml' }).pods[0]!.containers[0]!.volumeMounts![0]!.recursiveReadOnly,
    'IfPossible',
  );
  t.throws(() => parseManifest(manifest('Always'), { file: 'pod.yaml' }), {
    message:
      /^pod\.yaml: spec\.containers\[0\]\.volumeMounts\[0\]\.recursiveReadOnly \(line 11\): "Always" must be Disabled, IfPossible or Enabled/,
  });
});
