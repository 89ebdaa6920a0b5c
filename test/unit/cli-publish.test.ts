import test from 'ava';
import { applyPublish, parsePublish, publishAll } from '../../src/cli/publish.js';
import { age, summarize } from '../../src/cli/format.js';

test('-p takes HOSTPORT:CONTAINERPORT[/udp] and IP:HOSTPORT:CONTAINERPORT', (t) => {
  t.deepEqual(parsePublish('8080:80'), { hostPort: 8080, containerPort: 80, protocol: 'TCP' });
  t.deepEqual(parsePublish('5353:53/udp'), { hostPort: 5353, containerPort: 53, protocol: 'UDP' });
  t.deepEqual(parsePublish('127.0.0.1:8080:80'), { hostIP: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'TCP' });
  for (const bad of ['a:b', '80:0', '8080:70000', '8080:80/sctp', '70000:80']) t.throws(() => parsePublish(bad), undefined, bad);
});

test('-p 0:CONTAINERPORT and -p CONTAINERPORT ask for any free host port (hostPort 0), as docker run -p does', (t) => {
  t.deepEqual(parsePublish('0:8080'), { hostPort: 0, containerPort: 8080, protocol: 'TCP' });
  t.deepEqual(parsePublish('8080'), { hostPort: 0, containerPort: 8080, protocol: 'TCP' });
  t.deepEqual(parsePublish('53/udp'), { hostPort: 0, containerPort: 53, protocol: 'UDP' });
  t.deepEqual(parsePublish('127.0.0.1:0:80'), { hostIP: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'TCP' });
});

test('-P publishes every containerPort without a hostPort on a free one, and keeps the given hostPorts', (t) => {
  const spec = {
    name: 'p',
    containers: [
      { name: 'a', image: 'busybox', command: ['true'], ports: [{ containerPort: 80 }, { containerPort: 81, hostPort: 8081 }] },
      { name: 'b', image: 'busybox', command: ['true'] },
    ],
  };
  const out = publishAll(spec);
  t.deepEqual(out.containers[0]!.ports, [
    { containerPort: 80, hostPort: 0 },
    { containerPort: 81, hostPort: 8081 },
  ]);
  t.is(out.containers[1]!.ports, undefined);
  t.deepEqual(spec.containers[0]!.ports![0], { containerPort: 80 }, 'the input is not changed');
});

test('a published port lands on the container that declares it, else on the first', (t) => {
  const spec = {
    name: 'p',
    containers: [
      { name: 'a', image: 'busybox', command: ['true'] },
      { name: 'b', image: 'busybox', command: ['true'], ports: [{ containerPort: 80 }] },
    ],
  };
  const out = applyPublish(spec, [parsePublish('8080:80'), parsePublish('9090:90')]);
  t.deepEqual(out.containers[1]!.ports, [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }]);
  t.deepEqual(out.containers[0]!.ports, [{ containerPort: 90, hostPort: 9090, protocol: 'TCP' }]);
  t.deepEqual(spec.containers[1]!.ports, [{ containerPort: 80 }], 'the input is not changed');
});

test("ages read like kubectl's", (t) => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  t.is(age('2026-01-01T11:59:15Z', now), '45s');
  t.is(age('2026-01-01T11:50:00Z', now), '10m');
  t.is(age('2026-01-01T07:00:00Z', now), '5h');
  t.is(age('2025-12-25T12:00:00Z', now), '7d');
});

test('ps status: Completed, Error, CrashLoopBackOff', (t) => {
  const base = {
    name: 'p',
    phase: 'Running' as const,
    ready: false,
    createdAt: new Date().toISOString(),
    runtime: 'runc',
    dir: '/x',
    pause: { id: 'p', pid: 1, alive: true, bundle: '/b', namespaces: {} as never },
    network: { mode: 'none' } as never,
    qosClass: 'BestEffort' as const,
  };
  const c = (over: object) => ({
    name: 'a',
    id: 'p.a',
    init: false,
    sidecar: false,
    state: 'exited' as const,
    restartCount: 0,
    bundle: '/b',
    logPath: '/l',
    started: false,
    ready: false,
    ...over,
  });
  t.is(summarize({ name: 'p', containers: [], restartPolicy: 'Never' }, { ...base, containers: [c({ exitCode: 0 })] }).status, 'Completed');
  t.is(summarize({ name: 'p', containers: [], restartPolicy: 'Never' }, { ...base, containers: [c({ exitCode: 2 })] }).status, 'Error');
  t.is(summarize({ name: 'p', containers: [] }, { ...base, containers: [c({ exitCode: 1, restartCount: 3 })] }).status, 'CrashLoopBackOff');
});
