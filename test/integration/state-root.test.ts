import test from 'ava';
import { existsSync } from 'node:fs';
import { chmod, lstat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { Pod } from '../../src/pod/pod.js';
import { RUNTIME, eventually, stateRoot } from '../helpers/host.js';
import { podName, sleeper, testPod } from '../helpers/pods.js';
import { tempDir } from '../helpers/images.js';
import { nspod, writeManifest } from '../helpers/cli.js';
import { assertNoLeftovers } from '../helpers/leftovers.js';

const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

/** Runs `sh -c script` as uid 65534 with no groups. */
async function asNobody(script: string) {
  return await execa('setpriv', [...NOBODY, '--', 'sh', '-c', script], { reject: false });
}

const mode = async (p: string) => ((await lstat(p)).mode & 0o777).toString(8);

test('the state root is root alone: 0700 dirs (chmodded when they were there), 0600 records; uid 65534 lists and reads nothing', async (t) => {
  const root = await stateRoot(t);
  // A root that was there already, walkable by everyone: nspod makes it its own again.
  await chmod(root, 0o755);
  const { pod } = await testPod(
    t,
    {
      restartPolicy: 'Never',
      volumes: [{ name: 'scratch', emptyDir: {} }],
      initContainers: [{ name: 'init', image: 'busybox', command: ['true'] }],
      containers: [
        {
          ...sleeper('app'),
          user: { uid: 1000, gid: 1000 },
          volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
          readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 },
        },
      ],
    },
    { root },
  );
  const dir = pod.dir;
  const data = pod.dataDir;
  await eventually(() => (existsSync(path.join(dir, 'probes', 'app.json')) ? true : undefined), 10_000, 'the probe status file');
  await pod.waitReady({ timeout: 20_000 });
  // The pod works as before: a non-root container reads the pod's files and writes its emptyDir through its mounts.
  const w = await pod.exec('app', ['sh', '-c', 'cat /etc/hostname >/dev/null && echo hi > /scratch/f && cat /scratch/f && id -u']);
  t.is(w.stdout, 'hi\n1000', w.stderr);

  const runtimeRoot = path.join(root, 'runtime', RUNTIME);
  const dirs = [root, path.join(root, 'pods'), path.join(root, 'runtime'), runtimeRoot, dir, path.join(dir, 'pause')];
  for (const c of ['init', 'app']) dirs.push(path.join(dir, 'containers', c), path.join(dir, 'containers', c, 'bundle'));
  dirs.push(path.join(dir, 'probes'), path.join(dir, 'etc'), path.join(dir, 'volumes'));
  // Its data dir on the data root: the writable layers, the emptyDir and the logs.
  dirs.push(path.dirname(data), data, path.join(data, 'logs'), path.join(data, 'volumes'), path.join(data, 'containers', 'app'));
  dirs.push(path.join(data, 'containers', 'app', 'work'));
  for (const d of dirs) t.is(await mode(d), '700', d);
  const files = [path.join(dir, 'pod.json'), path.join(dir, 'events.jsonl'), path.join(dir, 'pause', 'config.json')];
  files.push(path.join(dir, 'containers', 'app', 'bundle', 'config.json'), path.join(dir, 'containers', 'init', 'exit'));
  files.push(path.join(dir, 'probes', 'app.json'), path.join(data, 'logs', 'app.log'), path.join(data, 'logs', 'init.log'));
  files.push(path.join(dir, 'probes', 'prober.conf'));
  for (const f of files) t.is(await mode(f), '600', f);

  // As uid 65534: nothing below the state root can be listed or read, from the top or by a path guessed.
  const found = await asNobody(`find ${root}`);
  t.not(found.exitCode, 0);
  t.deepEqual(found.stdout.split('\n').filter(Boolean), [root], 'find lists the root itself and nothing below it');
  const roots = path.dirname(path.dirname(path.dirname(data)));
  const foundData = await asNobody(`find ${roots}`);
  t.deepEqual(foundData.stdout.split('\n').filter(Boolean), [roots], 'find lists nothing below the data root');
  const upper = path.join(data, 'containers', 'app', 'upper');
  for (const p of [
    ...dirs,
    ...files,
    path.join(dir, 'containers', 'app', 'bundle', 'rootfs', 'bin'),
    upper,
    path.join(data, 'volumes', 'scratch'),
  ]) {
    const r = await asNobody(`ls ${p} || cat ${p}`);
    t.not(r.exitCode, 0, `${p}: ${r.stdout}`);
    t.regex(r.stderr, /Permission denied/, p);
  }
});

test('a hostPath inside the state root or the image cache, or containing one, is refused before anything is made', async (t) => {
  const root = await stateRoot(t);
  const imageRoot = await tempDir(t, 'images');
  const name = podName();
  for (const [hostPath, why] of [
    [path.join(root, 'pods'), /volumes\[0\]\.hostPath\.path: \S+ is inside the state root/],
    [os.tmpdir(), /contains the state root/],
    [path.join(imageRoot, 'entries'), /is inside the image cache/],
  ] as const) {
    const e = await t.throwsAsync(
      Pod.create(
        {
          name,
          volumes: [{ name: 'v', hostPath: { path: hostPath, type: 'DirectoryOrCreate' } }],
          containers: [{ ...sleeper('a'), volumeMounts: [{ name: 'v', mountPath: '/v' }] }],
        },
        { root, runtime: RUNTIME, imageRoot },
      ),
    );
    t.regex(e!.message, why);
    t.false(existsSync(path.join(root, 'pods', name)));
    t.false(existsSync(path.join(imageRoot, 'entries')));
  }
});

test("nspod run --dry-run refuses a hostPath over nspod's own dirs with the error a real run gives, and makes nothing", async (t) => {
  const root = await stateRoot(t);
  const work = await tempDir(t, 'dry-hostpath');
  const imageRoot = path.join(work, 'images');
  for (const [hostPath, why] of [
    [path.join(root, 'pods'), /^nspod: volumes\[0\]\.hostPath\.path: \S+ is inside the state root /],
    [path.dirname(root), /^nspod: volumes\[0\]\.hostPath\.path: \S+ contains the state root /],
    [path.join(imageRoot, 'entries'), /^nspod: volumes\[0\]\.hostPath\.path: \S+ is inside the image cache /],
  ] as const) {
    const file = await writeManifest(
      work,
      `apiVersion: v1
kind: Pod
metadata:
  name: over-own-dirs
spec:
  volumes:
  - name: v
    hostPath:
      path: ${hostPath}
      type: DirectoryOrCreate
  containers:
  - name: a
    image: busybox
    command: ["sleep", "3600"]
    volumeMounts:
    - name: v
      mountPath: /v
`,
    );
    const dry = await nspod(root, ['--image-root', imageRoot, 'run', '--dry-run', file]);
    const real = await nspod(root, ['--image-root', imageRoot, 'run', '-d', file]);
    t.is(dry.exitCode, 1, dry.stdout);
    t.regex(dry.stderr, why);
    t.is(dry.stderr, real.stderr, 'the same refusal, word for word');
    t.is(real.exitCode, 1);
    t.false(dry.stdout.includes('config.json'), 'no plan is printed');
    if (hostPath !== path.dirname(root)) t.false(existsSync(hostPath), 'DirectoryOrCreate made nothing');
  }
  await assertNoLeftovers(t, root);
});
