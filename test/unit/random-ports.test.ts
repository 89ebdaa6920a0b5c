import test from 'ava';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { isNspodError } from '../../src/errors.js';
import { parseManifest } from '../../src/manifest/index.js';
import { chooseHostPorts, hostPortRange, releaseHostPortLeases } from '../../src/network/hostports.js';
import { hostPortOf } from '../../src/network/ports.js';
import { podSpecProblems } from '../../src/spec/spec.js';

const HEAD = ['apiVersion: v1', 'kind: Pod', 'metadata:', '  name: p'];
const WEB = ['  containers:', '  - name: web', '    image: busybox', '    command: [httpd, -f]', '    ports:'];

/** A port that was free a moment ago (the kernel gave it to a listener that closed at once). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function leaseDir(t: import('ava').ExecutionContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nspod-port-leases-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('the API takes hostPort 0 (any free port); other values stay 1-65535', (t) => {
  const spec = (hostPort: number) => ({
    name: 'p',
    containers: [{ name: 'c', image: 'busybox', command: ['true'], ports: [{ containerPort: 80, hostPort }] }],
  });
  t.deepEqual(podSpecProblems(spec(0)), []);
  t.deepEqual(
    podSpecProblems(spec(-1)).map((p) => p.field),
    ['containers[0].ports[0].hostPort'],
  );
});

test("a manifest's hostPort: 0 is no hostPort, as in Kubernetes, with a warning that names the annotation", (t) => {
  const { pods, warnings } = parseManifest([...HEAD, 'spec:', ...WEB, '    - {containerPort: 80, hostPort: 0}'].join('\n'), {
    file: 'pod.yaml',
  });
  t.deepEqual(pods[0]!.containers[0]!.ports, [{ containerPort: 80 }]);
  t.is(warnings.length, 1);
  t.regex(
    warnings[0]!,
    /^pod\.yaml: spec\.containers\[0\]\.ports\[0\]\.hostPort \(line 11\): 0 is no hostPort in Kubernetes.*nspod\.io\/publish-all/,
  );
});

test('annotation nspod.io/publish-all: "true" publishes every app containerPort without a hostPort on a free one', (t) => {
  const doc = [
    ...HEAD,
    '  annotations:',
    '    nspod.io/publish-all: "true"',
    'spec:',
    ...WEB,
    '    - containerPort: 80',
    '    - {containerPort: 81, hostPort: 8081}',
    '    - {containerPort: 53, protocol: UDP}',
  ];
  const { pods, warnings } = parseManifest(doc.join('\n'), { file: 'pod.yaml' });
  t.deepEqual(warnings, []);
  t.deepEqual(pods[0]!.containers[0]!.ports, [
    { containerPort: 80, hostPort: 0 },
    { containerPort: 81, hostPort: 8081 },
    { containerPort: 53, protocol: 'UDP', hostPort: 0 },
  ]);
  t.is(pods[0]!.annotations!['nspod.io/publish-all'], 'true');
  const off = parseManifest(doc.join('\n').replace('"true"', '"false"'), { file: 'pod.yaml' });
  t.deepEqual(off.pods[0]!.containers[0]!.ports![0], { containerPort: 80 });
  const bad = t.throws(() => parseManifest(doc.join('\n').replace('"true"', 'yes'), { file: 'pod.yaml' }));
  t.regex(bad!.message, /metadata\.annotations\["nspod\.io\/publish-all"\] \(line 6\): "yes" must be "true" or "false"/);
  const host = t.throws(() => parseManifest(doc.join('\n').replace('spec:', 'spec:\n  hostNetwork: true'), { file: 'pod.yaml' }));
  t.true(isNspodError(host, 'INVALID_SPEC'));
  t.regex(host!.message, /publish-all"\] \(line 6\): conflicts with spec\.hostNetwork: true/);
});

test('hostPortOf: the attachment says the port; on the host network it is the port itself', (t) => {
  const spec = { name: 'p', containers: [] };
  const mappings = [
    { hostPort: 49153, containerPort: 8080, protocol: 'tcp' as const },
    { hostPort: 49154, containerPort: 8080, protocol: 'udp' as const },
  ];
  t.is(hostPortOf(spec, mappings, 8080), 49153);
  t.is(hostPortOf(spec, mappings, 8080, 'UDP'), 49154);
  t.is(hostPortOf(spec, mappings, 9090), undefined);
  t.is(hostPortOf(spec, [{ hostPort: 0, containerPort: 8080, protocol: 'tcp' }], 8080), undefined, 'not chosen yet');
  t.is(hostPortOf({ ...spec, hostNetwork: true }, [], 9090), 9090);
});

test('the range: FROM-TO, else the kernel ephemeral range', (t) => {
  t.deepEqual(hostPortRange('40000-40010'), { from: 40000, to: 40010 });
  const kernel = hostPortRange(undefined);
  t.true(kernel.from >= 1 && kernel.from <= kernel.to && kernel.to <= 65535);
  for (const bad of ['40000', '5-4', '0-10', '1-70000']) t.throws(() => hostPortRange(bad), { message: /hostPortRange/ }, bad);
});

test('chooseHostPorts: skips ports held by pods, bound on the host or leased; a lease is one attachment', async (t) => {
  const dir = await leaseDir(t);
  const root = await mkdtemp(path.join(os.tmpdir(), 'nspod-port-root-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const want = [
    { hostPort: 0, containerPort: 80, protocol: 'tcp' as const },
    { hostPort: 18080, containerPort: 81, protocol: 'tcp' as const },
  ];
  const q = await freePort();
  const got = await chooseHostPorts({ ports: want, held: [], root, containerId: 'a-1', range: `${q}-${q}`, leaseDir: dir });
  t.deepEqual(got, [{ ...want[0]!, hostPort: q }, want[1]!], 'the fixed port is kept as it is');
  t.deepEqual(await readdir(dir), [`tcp-${q}`]);

  // Leased to a-1 (whose process, this one, lives): another attachment, of any root, does not get it.
  const taken = await t.throwsAsync(
    chooseHostPorts({ ports: want, held: [], root, containerId: 'b-2', range: `${q}-${q}`, leaseDir: dir }),
  );
  t.true(isNspodError(taken, 'NETWORK_FAILED'));
  t.regex(taken!.message, new RegExp(`no free host port for containerPort 80/tcp in ${q}-${q}`));
  // Released by its attachment only.
  await releaseHostPortLeases('b-2', [{ ...want[0]!, hostPort: q }], dir);
  t.deepEqual(await readdir(dir), [`tcp-${q}`]);
  await releaseHostPortLeases('a-1', [{ ...want[0]!, hostPort: q }], dir);
  t.deepEqual(await readdir(dir), []);

  // Held by a pod of the root: skipped.
  await t.throwsAsync(
    chooseHostPorts({
      ports: want,
      held: [{ hostPort: q, containerPort: 1, protocol: 'tcp' }],
      root,
      containerId: 'c',
      range: `${q}-${q}`,
      leaseDir: dir,
    }),
    { message: /no free host port/ },
  );
  // Bound by a process of the host: skipped.
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(q, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await t.throwsAsync(chooseHostPorts({ ports: want, held: [], root, containerId: 'c', range: `${q}-${q}`, leaseDir: dir }), {
    message: /no free host port/,
  });
  t.deepEqual(await readdir(dir), [], 'a failed choice leases nothing');
});

test('chooseHostPorts: a lease whose attachment is gone and whose process died is taken over; several ports differ', async (t) => {
  const dir = await leaseDir(t);
  const q = await freePort();
  await writeFile(
    path.join(dir, `tcp-${q}`),
    JSON.stringify({ root: '/nonexistent-root', containerId: 'dead-1', creator: { pid: 2 ** 22 + 7, startTime: 1 } }),
  );
  const got = await chooseHostPorts({
    ports: [{ hostPort: 0, containerPort: 80, protocol: 'tcp' }],
    held: [],
    root: '/tmp',
    containerId: 'live-1',
    range: `${q}-${q}`,
    leaseDir: dir,
  });
  t.is(got[0]!.hostPort, q);
  const three = await chooseHostPorts({
    ports: [80, 81, 82].map((containerPort) => ({ hostPort: 0, containerPort, protocol: 'tcp' as const })),
    held: [],
    root: '/tmp',
    containerId: 'live-2',
    leaseDir: dir,
  });
  t.is(new Set(three.map((p) => p.hostPort)).size, 3);
  t.false(three.some((p) => p.hostPort === q));
  await releaseHostPortLeases('live-2', three, dir);
  await releaseHostPortLeases('live-1', got, dir);
  t.deepEqual(await readdir(dir), []);
});
