import test from 'ava';
import { dnsLabelProblem } from '../../src/spec/names.js';
import { validatePodSpec, type PodSpec, type PortSpec } from '../../src/spec/spec.js';

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
  bad(t, { ...ok, volumes: [{ name: 'v' }] }, /^volumes\[0\]: needs exactly one of emptyDir or hostPath/);
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
