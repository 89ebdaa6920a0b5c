/** Pods run from rootfs tarballs and from OCI layouts built by umoci; the image config's defaults apply as in Kubernetes. */
import test from 'ava';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { execa } from 'execa';
import { Pod } from '../../src/pod/pod.js';
import { resolveImage, type UnpackEvent } from '../../src/image/resolve.js';
import { readImageManifest } from '../../src/image/oci.js';
import { stateRoot } from '../helpers/host.js';
import { buildLayout, tempDir, toolboxTarball } from '../helpers/images.js';

const IMAGE_CONFIG = [
  '--config.entrypoint',
  '/bin/sh',
  '--config.entrypoint',
  '-c',
  '--config.cmd',
  'echo "$GREETING" > /tmp/greeting; pwd > /tmp/pwd; exec sleep 3600',
  '--config.env',
  'GREETING=hello-from-image',
  '--config.env',
  'ONLY_IMAGE=1',
  '--config.workingdir',
  '/opq',
  '--config.user',
  'nobody',
];

for (const gzip of [false, true]) {
  test(`a pod runs from a ${gzip ? 'gzip' : 'plain'} rootfs tarball of the toolbox, unpacked once`, async (t) => {
    const dir = await tempDir(t, 'img-tar');
    const imageRoot = path.join(dir, 'images');
    const tarball = await toolboxTarball(dir, gzip);
    const unpacks: UnpackEvent[] = [];
    const first = await resolveImage(tarball, { imageRoot, onUnpack: (e) => unpacks.push(e) });
    t.is(
      first.digest,
      `sha256:${createHash('sha256')
        .update(await readFile(tarball))
        .digest('hex')}`,
      'the cache key is the tarball sha256',
    );
    const pod = await Pod.create(
      { name: `tar${gzip ? 'gz' : ''}`, containers: [{ name: 'app', image: `tar:${tarball}`, command: ['sleep', '3600'] }] },
      { root: await stateRoot(t), imageRoot },
    );
    t.teardown(() => pod.remove({ gracePeriodSeconds: 0 }));
    const r = await pod.exec('app', ['sh', '-c', 'cat /etc/passwd | head -1; busybox | head -1']);
    t.is(r.exitCode, 0, r.stderr);
    t.regex(r.stdout, /^root:x:0:0:/);
    t.regex(r.stdout, /BusyBox/);
    t.is(unpacks.length, 1, 'the pod reused the entry the first resolve made');
    t.is(
      (await readFile(path.join(first.rootfs, 'etc', 'passwd'), 'utf8')).split('\n')[0],
      'root:x:0:0:root:/root:/bin/sh',
      'the cache entry is untouched by the container',
    );
  });
}

test('an OCI layout from umoci: whiteouts and an opaque dir apply; Entrypoint/Cmd/Env/WorkingDir/User defaults apply and the manifest overrides them', async (t) => {
  const dir = await tempDir(t, 'img-oci');
  const imageRoot = path.join(dir, 'images');
  const layout = await buildLayout(dir, IMAGE_CONFIG);
  const image = `oci:${layout}:v2`;

  const resolved = await resolveImage(image, { imageRoot });
  t.false(existsSync(path.join(resolved.rootfs, 'gone')), '.wh.gone deleted /gone');
  t.false(existsSync(path.join(resolved.rootfs, 'opq', 'old')), "the opaque dir hides the lower layer's files");
  t.false(existsSync(path.join(resolved.rootfs, 'opq', 'keep')), '... and its subdirectories');
  t.is(await readFile(path.join(resolved.rootfs, 'opq', 'new'), 'utf8'), 'new\n');
  t.true(existsSync(path.join(resolved.rootfs, 'bin', 'busybox')));
  const v1 = await resolveImage(`oci:${layout}:v1`, { imageRoot });
  t.true(existsSync(path.join(v1.rootfs, 'gone')), 'the lower layer alone still has /gone (a different cache entry)');
  t.deepEqual(resolved.defaults, {
    entrypoint: ['/bin/sh', '-c'],
    cmd: ['echo "$GREETING" > /tmp/greeting; pwd > /tmp/pwd; exec sleep 3600'],
    env: { GREETING: 'hello-from-image', ONLY_IMAGE: '1' },
    workingDir: '/opq',
    user: '65534:65534',
  });

  const pod = await Pod.create(
    {
      name: 'ocipod',
      containers: [
        { name: 'defaults', image },
        { name: 'envover', image, env: { GREETING: 'from-manifest' } },
        { name: 'argsonly', image, args: ['echo args-only > /tmp/greeting; exec sleep 3600'] },
        { name: 'command', image, command: ['sleep', '3600'], workingDir: '/tmp', user: { uid: 0, gid: 0 } },
      ],
    },
    { root: await stateRoot(t), imageRoot },
  );
  t.teardown(() => pod.remove({ gracePeriodSeconds: 0 }));
  const sh = async (c: string, script: string) => {
    const r = await pod.exec(c, ['sh', '-c', script]);
    t.is(r.exitCode, 0, `${c}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const settled = async (c: string) => {
    for (let i = 0; i < 100; i++) {
      const r = await pod.exec(c, ['cat', '/tmp/greeting']);
      if (r.exitCode === 0 && r.stdout.trim() !== '') return r.stdout.trim();
      await new Promise((res) => setTimeout(res, 20));
    }
    return '';
  };
  t.is(await settled('defaults'), 'hello-from-image', 'Entrypoint + Cmd ran, with the image Env');
  t.is(await sh('defaults', 'cat /tmp/pwd'), '/opq', 'WorkingDir');
  t.regex(await sh('defaults', 'grep ^Uid: /proc/1/status'), /^Uid:\s+65534\s/, 'User nobody, looked up in the image /etc/passwd');
  t.is(await settled('envover'), 'from-manifest', 'manifest env overrides the image Env');
  t.is(
    await sh('envover', 'tr "\\0" "\\n" < /proc/1/environ | grep ^ONLY_IMAGE='),
    'ONLY_IMAGE=1',
    'the rest of the image Env is merged in',
  );
  t.is(await settled('argsonly'), 'args-only', 'args without command: Entrypoint with the manifest args, not Cmd');
  t.is(await sh('command', 'tr "\\0" " " < /proc/1/cmdline'), 'sleep 3600', 'a manifest command replaces Entrypoint and Cmd');
  t.regex(await sh('command', 'grep ^Uid: /proc/1/status'), /^Uid:\s+0\s/, 'a manifest user overrides the image User');
  t.is(await sh('command', 'readlink /proc/1/cwd'), '/tmp', 'a manifest workingDir overrides the image WorkingDir');
});

test('a multi-arch image index picks the host platform (linux/amd64 here), and another host would get its own', async (t) => {
  const dir = await tempDir(t, 'img-multi');
  const imageRoot = path.join(dir, 'images');
  const layout = await buildLayout(dir, []);
  const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as {
    manifests: { digest: string; size: number; mediaType: string; annotations: Record<string, string> }[];
  };
  const byTag = (tag: string) => index.manifests.find((m) => m.annotations['org.opencontainers.image.ref.name'] === tag)!;
  const hostArch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;
  const otherArch = hostArch === 'arm64' ? 'amd64' : 'arm64';
  const imageIndex = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: byTag('v1').mediaType,
        digest: byTag('v1').digest,
        size: byTag('v1').size,
        platform: { os: 'linux', architecture: otherArch },
      },
      {
        mediaType: byTag('v2').mediaType,
        digest: byTag('v2').digest,
        size: byTag('v2').size,
        platform: { os: 'linux', architecture: hostArch },
      },
      {
        mediaType: byTag('v1').mediaType,
        digest: byTag('v1').digest,
        size: byTag('v1').size,
        platform: { os: 'windows', architecture: hostArch },
      },
    ],
  });
  const indexDigest = createHash('sha256').update(imageIndex).digest('hex');
  await writeFile(path.join(layout, 'blobs', 'sha256', indexDigest), imageIndex);
  index.manifests.push({
    mediaType: 'application/vnd.oci.image.index.v1+json',
    digest: `sha256:${indexDigest}`,
    size: imageIndex.length,
    annotations: { 'org.opencontainers.image.ref.name': 'multi' },
  });
  await writeFile(path.join(layout, 'index.json'), JSON.stringify(index));

  const resolved = await resolveImage(`oci:${layout}:multi`, { imageRoot });
  t.is(resolved.digest, byTag('v2').digest, `the ${hostArch} manifest`);
  t.false(existsSync(path.join(resolved.rootfs, 'gone')));
  const other = await readImageManifest(layout, 'multi', { os: 'linux', architecture: otherArch });
  t.is(other.digest, byTag('v1').digest, `an ${otherArch} host gets the ${otherArch} manifest`);
  await t.throwsAsync(readImageManifest(layout, 'multi', { os: 'linux', architecture: 's390x' }), {
    message: /no manifest for linux\/s390x/,
  });
});

test('skopeo sources: a docker-archive and an oci-archive made by skopeo copy resolve to the same tree and defaults', async (t) => {
  const dir = await tempDir(t, 'img-skopeo');
  const imageRoot = path.join(dir, 'images');
  const layout = await buildLayout(dir, IMAGE_CONFIG);
  const dockerArchive = path.join(dir, 'image.docker.tar');
  const ociArchive = path.join(dir, 'image.oci.tar');
  await execa('skopeo', ['copy', '--quiet', `oci:${layout}:v2`, `docker-archive:${dockerArchive}:example/app:v2`]);
  await execa('skopeo', ['copy', '--quiet', `oci:${layout}:v2`, `oci-archive:${ociArchive}:v2`]);
  const unpacks: UnpackEvent[] = [];
  const viaDocker = await resolveImage(`docker-archive:${dockerArchive}`, { imageRoot, onUnpack: (e) => unpacks.push(e) });
  const viaOciArchive = await resolveImage(`oci-archive:${ociArchive}:v2`, { imageRoot, onUnpack: (e) => unpacks.push(e) });
  for (const r of [viaDocker, viaOciArchive]) {
    t.false(existsSync(path.join(r.rootfs, 'gone')));
    t.is(await readFile(path.join(r.rootfs, 'opq', 'new'), 'utf8'), 'new\n');
    t.false(existsSync(path.join(r.rootfs, 'opq', 'old')));
    t.deepEqual(r.defaults.entrypoint, ['/bin/sh', '-c']);
    t.is(r.defaults.user, '65534:65534');
  }
  t.is(unpacks.length, 2);
  const again = await resolveImage(`docker-archive:${dockerArchive}`, { imageRoot, onUnpack: (e) => unpacks.push(e) });
  t.is(again.rootfs, viaDocker.rootfs);
  t.is(unpacks.length, 2, 'an unchanged archive is not copied or unpacked again');
  t.deepEqual((await execa('ls', [path.join(imageRoot, 'tmp')])).stdout, '', "skopeo's temp layouts are gone");
});

test('two pods created at once from the same new image: it is unpacked once, and both run from the one cache entry', async (t) => {
  const dir = await tempDir(t, 'img-two');
  const imageRoot = path.join(dir, 'images');
  const tarball = await toolboxTarball(dir, true);
  const root = await stateRoot(t);
  const unpacks: UnpackEvent[] = [];
  const create = (name: string) =>
    Pod.create(
      { name, network: 'none', containers: [{ name: 'app', image: tarball, command: ['sleep', '3600'] }] },
      { root, imageRoot, onImageUnpack: (e) => unpacks.push(e) },
    );
  const pods = await Promise.all([create('twin-a'), create('twin-b')]);
  t.teardown(() => Promise.all(pods.map((p) => p.remove({ gracePeriodSeconds: 0 }))).then(() => undefined));
  t.is(unpacks.length, 1, 'one unpack for two pods');
  for (const pod of pods) t.is((await pod.exec('app', ['sh', '-c', 'busybox | head -1'])).exitCode, 0);
  const lower = await Promise.all(
    pods.map(async (p) => JSON.parse(await readFile(path.join(p.dir, 'pod.json'), 'utf8')).containers[0].lowerdir as string),
  );
  t.is(lower[0], lower[1], 'both overlays sit on the same cache entry');
});
