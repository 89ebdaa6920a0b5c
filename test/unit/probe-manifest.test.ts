import test from 'ava';
import { isNspodError } from '../../src/errors.js';
import { parseManifest } from '../../src/manifest/index.js';
import { validatePodSpec, type PodSpec } from '../../src/spec/spec.js';

const HEAD = [
  'apiVersion: v1',
  'kind: Pod',
  'metadata:',
  '  name: p',
  'spec:',
  '  containers:',
  '  - name: web',
  '    image: busybox',
  '    command: [httpd, -f]',
];

function parse(lines: string[]): PodSpec {
  const { pods } = parseManifest([...HEAD, ...lines].join('\n'), { file: 'pod.yaml' });
  return pods[0]!;
}

function rejection(lines: string[]): string {
  const error = (() => {
    try {
      parse(lines);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  if (!isNspodError(error, 'INVALID_SPEC')) throw new Error(`expected an INVALID_SPEC error, got ${String(error)}`);
  return error.message;
}

test("a probe gets Kubernetes' defaults for every timing field it leaves out", (t) => {
  const pod = parse(['    readinessProbe:', '      httpGet: {port: 8080}', '      periodSeconds: 2']);
  t.deepEqual(pod.containers[0]!.readinessProbe, {
    httpGet: { path: '/', port: 8080 },
    initialDelaySeconds: 0,
    periodSeconds: 2,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 3,
  });
  t.notThrows(() => validatePodSpec(pod));
});

test('exec, tcpSocket and httpGet with headers map to the PodSpec; every kind is read', (t) => {
  const pod = parse([
    '    startupProbe:',
    '      exec: {command: [cat, /tmp/ready]}',
    '      failureThreshold: 30',
    '    livenessProbe:',
    '      tcpSocket: {port: 8080}',
    '      initialDelaySeconds: 5',
    '    readinessProbe:',
    '      httpGet:',
    '        path: /healthz',
    '        port: 8080',
    '        scheme: HTTP',
    '        httpHeaders: [{name: X-Probe, value: "yes"}]',
    '      successThreshold: 2',
  ]);
  const c = pod.containers[0]!;
  t.deepEqual(c.startupProbe?.exec, { command: ['cat', '/tmp/ready'] });
  t.is(c.startupProbe?.failureThreshold, 30);
  t.deepEqual(c.livenessProbe?.tcpSocket, { port: 8080 });
  t.is(c.livenessProbe?.initialDelaySeconds, 5);
  t.deepEqual(c.readinessProbe?.httpGet, { path: '/healthz', port: 8080, httpHeaders: [{ name: 'X-Probe', value: 'yes' }] });
  t.is(c.readinessProbe?.successThreshold, 2);
});

test('a named port resolves to the container port of that name, wherever ports come in the container', (t) => {
  const pod = parse([
    '    livenessProbe:',
    '      tcpSocket: {port: http}',
    '    ports:',
    '    - {name: http, containerPort: 8080}',
    '    - {name: admin, containerPort: 9090}',
  ]);
  t.deepEqual(pod.containers[0]!.livenessProbe?.tcpSocket, { port: 8080 });
});

test('a named port nobody has is refused with its field and line', (t) => {
  t.is(
    rejection(['    ports:', '    - {name: admin, containerPort: 9090}', '    readinessProbe:', '      httpGet: {port: web, path: /}']),
    'pod.yaml: spec.containers[0].readinessProbe.httpGet.port (line 13): no port named "web" in this container\'s ports',
  );
});

test('grpc is refused with its field path and line', (t) => {
  t.is(
    rejection(['    readinessProbe:', '      grpc:', '        port: 9000']),
    'pod.yaml: spec.containers[0].readinessProbe.grpc (line 11): not supported',
  );
});

test('bad values are refused with their field path and line', (t) => {
  t.is(
    rejection(['    livenessProbe:', '      exec: {command: ["true"]}', '      periodSeconds: 0']),
    'pod.yaml: spec.containers[0].livenessProbe.periodSeconds (line 12): must be >= 1 (it is 0)',
  );
  t.is(
    rejection(['    livenessProbe:', '      exec: {command: ["true"]}', '      successThreshold: 2']),
    'pod.yaml: spec.containers[0].livenessProbe.successThreshold (line 12): must be 1 for a livenessProbe',
  );
  t.is(
    rejection(['    livenessProbe:', '      periodSeconds: 3']),
    'pod.yaml: spec.containers[0].livenessProbe (line 10): needs one of exec, httpGet or tcpSocket',
  );
  t.is(
    rejection(['    livenessProbe:', '      exec: {command: ["true"]}', '      tcpSocket: {port: 1}']),
    'pod.yaml: spec.containers[0].livenessProbe.tcpSocket (line 12): a probe has one handler, and this one already has exec',
  );
  t.is(
    rejection(['    livenessProbe:', '      tcpSocket: {port: 70000}']),
    'pod.yaml: spec.containers[0].livenessProbe.tcpSocket.port (line 11): must be between 1 and 65535 (it is 70000)',
  );
  t.is(
    rejection(['    livenessProbe:', '      httpGet: {port: 80, host: example.com}']),
    'pod.yaml: spec.containers[0].livenessProbe.httpGet.host (line 11): not supported',
  );
  t.is(
    rejection(['    livenessProbe:', '      httpGet: {port: 80, scheme: HTTPS}']),
    'pod.yaml: spec.containers[0].livenessProbe.httpGet.scheme (line 11): "HTTPS" is not supported (only "HTTP")',
  );
});

test('validatePodSpec refuses bad probes of a typed PodSpec by field', (t) => {
  const web = { name: 'web', image: 'busybox', command: ['true'] };
  const base: PodSpec = { name: 'p', containers: [web] };
  const refuse = (probe: object, kind = 'readinessProbe') => {
    const error = t.throws(() => validatePodSpec({ ...base, containers: [{ ...web, [kind]: probe }] }));
    return error?.message;
  };
  t.is(refuse({ grpc: { port: 1 } }), 'containers[0].readinessProbe.grpc: grpc probes are not supported: use exec, httpGet or tcpSocket');
  t.is(
    refuse({ tcpSocket: { port: 'http' } }),
    'containers[0].readinessProbe.tcpSocket.port: "http" is neither a port number nor the name of one of the container\'s ports',
  );
  t.is(refuse({ exec: { command: [] } }), 'containers[0].readinessProbe.exec.command: must be a non-empty list of strings');
  t.is(refuse({ exec: { command: ['true'] }, timeoutSeconds: 0 }), 'containers[0].readinessProbe.timeoutSeconds: must be an integer >= 1');
  t.is(
    refuse({ exec: { command: ['true'] }, successThreshold: 3 }, 'startupProbe'),
    'containers[0].startupProbe.successThreshold: must be 1 for a startupProbe',
  );
  t.notThrows(() =>
    validatePodSpec({
      ...base,
      containers: [{ ...web, ports: [{ name: 'http', containerPort: 80 }], readinessProbe: { httpGet: { port: 'http' } } }],
    }),
  );
});
