import test from 'ava';
import { isNspodError } from '../../src/errors.js';
import { dnsLabelProblem } from '../../src/spec/names.js';
import { podSpecProblems, validatePodSpec, type PodSpec, type PortSpec } from '../../src/spec/spec.js';

const ok: PodSpec = { name: 'web', containers: [{ name: 'a', image: 'busybox', command: ['true'] }] };
const bad = (t: import('ava').ExecutionContext, spec: unknown, field: RegExp) => {
  const e = t.throws(() => validatePodSpec(spec as PodSpec));
  t.regex(e!.message, field);
};

test('a minimal spec is valid', (t) => {
  t.notThrows(() => validatePodSpec(ok));
});

test('names follow the DNS-1123 label rules', (t) => {
  t.is(dnsLabelProblem('web-1'), undefined);
  t.truthy(dnsLabelProblem('Web'));
  t.truthy(dnsLabelProblem('-web'));
  t.truthy(dnsLabelProblem('a'.repeat(64)));
  t.truthy(dnsLabelProblem(''));
});

test('each bad field is named', (t) => {
  bad(t, { ...ok, name: 'No' }, /^name: /);
  bad(t, { ...ok, containers: [] }, /^containers: a pod needs at least one container/);
  bad(t, { ...ok, containers: [ok.containers[0], ok.containers[0]] }, /^containers\[1\]\.name: duplicate container name "a"/);
  bad(t, { ...ok, initContainers: [{ name: 'a', image: 'busybox', command: ['true'] }] }, /^containers\[0\]\.name: duplicate/);
  bad(t, { ...ok, containers: [{ name: 'a', image: '' }] }, /^containers\[0\]\.image: is required/);
  bad(t, { ...ok, containers: [{ name: 'pause', image: 'busybox', command: ['true'] }] }, /infra container/);
  bad(
    t,
    { ...ok, containers: [{ ...ok.containers[0], resources: { memoryBytes: -1 } }] },
    /resources\.memoryBytes: must be a positive number/,
  );
  bad(t, { ...ok, containers: [{ ...ok.containers[0], workingDir: 'tmp' }] }, /workingDir: must be an absolute path/);
  bad(
    t,
    { ...ok, containers: [{ ...ok.containers[0], volumeMounts: [{ name: 'v', mountPath: '/v' }] }] },
    /volumeMounts\[0\]\.name: no volume named "v"/,
  );
  bad(t, { ...ok, containers: [{ ...ok.containers[0], ports: [{ containerPort: 70000 }] }] }, /ports\[0\]\.containerPort/);
  bad(t, { ...ok, restartPolicy: 'Sometimes' }, /^restartPolicy: /);
  bad(
    t,
    { ...ok, volumes: [{ name: 'v' }] },
    /^volumes\[0\]: needs exactly one of emptyDir, hostPath, configMap, secret, downwardAPI, projected, image/,
  );
  bad(t, { ...ok, containers: [{ name: 'a', image: 'busybox' }] }, /no default command/);
});

test('the network fields are checked with the rest of the spec', (t) => {
  const spec = (over: Partial<PodSpec> = {}, ports: PortSpec[] = []): PodSpec => ({
    ...ok,
    containers: [{ ...ok.containers[0]!, ports }],
    ...over,
  });
  t.throws(() => validatePodSpec(spec({ hostNetwork: true, network: 'none' })), { message: /^network: a hostNetwork pod/ });
  const localhost = [{ containerPort: 1, hostPort: 80, hostIP: 'localhost' }];
  t.throws(() => validatePodSpec(spec({}, localhost)), { message: /hostIP: "localhost" must be an IPv4 address/ });
  t.throws(() => validatePodSpec(spec({ network: '../etc' })), { message: /^network: "..\/etc"/ });
  t.notThrows(() => validatePodSpec(spec({ network: 'my-net' }, [{ containerPort: 1, hostPort: 80 }])));
});

test('podSpecProblems lists every broken rule with its field; validatePodSpec throws the first and keeps them all', (t) => {
  const spec = {
    name: 'web',
    restartPolicy: 'Sometimes',
    containers: [{ name: 'Web', image: './app', workingDir: 'tmp', ports: [{ containerPort: 0 }, { containerPort: 8, protocol: 'SCTP' }] }],
  } as unknown as PodSpec;
  const problems = [
    { field: 'restartPolicy', why: '"Sometimes" must be Always, OnFailure or Never' },
    {
      field: 'containers[0].name',
      why: '"Web" must consist of lowercase letters, digits and \'-\', and start and end with a letter or digit',
    },
    { field: 'containers[0].workingDir', why: 'must be an absolute path (it is "tmp")' },
    { field: 'containers[0].ports[0].containerPort', why: 'must be between 1 and 65535 (it is 0)' },
    { field: 'containers[0].ports[1].protocol', why: '"SCTP" is not supported: TCP or UDP' },
  ];
  t.deepEqual(podSpecProblems(spec), problems);
  t.deepEqual(podSpecProblems(ok), []);
  const error = t.throws(() => validatePodSpec(spec));
  t.true(isNspodError(error, 'INVALID_SPEC'));
  t.is(error?.message, 'restartPolicy: "Sometimes" must be Always, OnFailure or Never');
  t.deepEqual(
    isNspodError(error) && error.problems,
    problems.map((p) => `${p.field}: ${p.why}`),
  );
});

test('the rules a manifest is held to hold for a typed spec too', (t) => {
  const c = ok.containers[0]!;
  const fields = (over: Partial<PodSpec>) => podSpecProblems({ ...ok, ...over }).map((p) => p.field);
  t.deepEqual(fields({ labels: { 'bad key!': 'x', tier: 'no spaces' }, annotations: { 'example.com/owner': 'a b' } }), [
    'labels["bad key!"]',
    'labels.tier',
  ]);
  t.deepEqual(fields({ containers: [{ ...c, capabilities: { add: ['NET_ADMIN', 'NET_TELEPORT'], drop: ['ALL'] } }] }), [
    'containers[0].capabilities.add[1]',
  ]);
  const ports = [
    { containerPort: 1, name: 'HTTP' },
    { containerPort: 2, name: 'web' },
    { containerPort: 3, name: 'web' },
  ];
  t.deepEqual(fields({ containers: [{ ...c, ports }] }), ['containers[0].ports[0].name', 'containers[0].ports[2].name']);
  const volumes = [
    { name: 'v', emptyDir: { medium: 'Disk' } },
    { name: 'h', hostPath: { path: 'srv' } },
  ];
  const volumeMounts = [
    { name: 'v', mountPath: '/v' },
    { name: 'h', mountPath: '/v' },
  ];
  t.deepEqual(fields({ volumes, containers: [{ ...c, volumeMounts }] }), [
    'volumes[0].emptyDir.medium',
    'volumes[1].hostPath.path',
    'containers[0].volumeMounts[1].mountPath',
  ]);
  t.deepEqual(fields({ containers: [{ ...c, user: { uid: 2 ** 31 } }] }), ['containers[0].user.uid']);
  t.deepEqual(fields({ containers: [{ ...c, env: { OK: 'x', 'A=B': 'y' } }] }), ['containers[0].env["A=B"]']);
  t.deepEqual(
    fields({ containers: [{ ...c, readinessProbe: { httpGet: { port: 80, path: 'x', httpHeaders: [{ name: 'X Y', value: 'v' }] } } }] }),
    ['containers[0].readinessProbe.httpGet.path', 'containers[0].readinessProbe.httpGet.httpHeaders[0].name'],
  );
  const twoHandlers = { exec: { command: ['true'] }, tcpSocket: { port: 1 } };
  t.deepEqual(fields({ containers: [{ ...c, livenessProbe: twoHandlers }] }), ['containers[0].livenessProbe.tcpSocket']);
});
