import test from 'ava';
import { containerStatus, currentRunExit, podStatus, type ContainerStatus, type ExitRecord } from '../../src/pod/status.js';
import type { ContainerRecord, PodRecord } from '../../src/pod/store.js';
import type { ContainerProbeStatus } from '../../src/probe/prober.js';
import type { ContainerSpec } from '../../src/spec/spec.js';

const record = (over: Partial<ContainerRecord> = {}): ContainerRecord => ({
  name: 'app',
  id: 'web.app',
  init: false,
  dir: '/run/nspod/pods/web/containers/app',
  bundle: '/run/nspod/pods/web/containers/app/bundle',
  rootfs: '/run/nspod/pods/web/containers/app/bundle/rootfs',
  lowerdir: '/images/busybox',
  logPath: '/run/nspod/pods/web/logs/app.log',
  exitFile: '/run/nspod/pods/web/containers/app/exit',
  pidFile: '/run/nspod/pods/web/containers/app/pid',
  pid: 4242,
  startedAt: '2024-05-01T10:00:00.000Z',
  restartCount: 2,
  ...over,
});
const plain: ContainerSpec = { name: 'app', image: 'busybox', command: ['sleep', '3600'] };
const readiness: ContainerSpec = { ...plain, readinessProbe: { exec: { command: ['true'] } } };
const startup: ContainerSpec = { ...plain, startupProbe: { exec: { command: ['true'] } } };
const exit = (over: Partial<ExitRecord> = {}): ExitRecord => ({
  pid: 4242,
  exitCode: 3,
  signal: 0,
  finishedAt: '2024-05-01T10:05:00.000Z',
  ...over,
});
const probes = (over: Partial<ContainerProbeStatus> = {}): ContainerProbeStatus => ({
  container: 'app',
  pid: 4242,
  running: true,
  started: true,
  ready: true,
  updatedAt: '2024-05-01T10:01:00.000Z',
  probes: [],
  ...over,
});

test('a container with an exit record is exited, with its code and time, whatever its pid does; signal 0 is no signal', (t) => {
  const s = containerStatus(record(), plain, exit(), undefined, true);
  t.is(s.state, 'exited');
  t.is(s.exitCode, 3);
  t.is(s.signal, undefined);
  t.is(s.finishedAt, '2024-05-01T10:05:00.000Z');
  t.is(s.pid, undefined);
  t.false(s.started);
  t.false(s.ready);
  t.is(s.oomKilled, undefined);
  const killed = containerStatus(record(), plain, exit({ exitCode: 137, signal: 9, oomKilled: true }), undefined, false);
  t.is(killed.signal, 9);
  t.true(killed.oomKilled);
});

test('a live container without probes is running, started and ready; with no exit record and a dead pid it is unknown', (t) => {
  const s = containerStatus(record(), plain, undefined, undefined, true);
  t.like(s, { name: 'app', id: 'web.app', init: false, state: 'running', pid: 4242, started: true, ready: true, restartCount: 2 });
  t.is(s.startedAt, '2024-05-01T10:00:00.000Z');
  t.is(s.logPath, '/run/nspod/pods/web/logs/app.log');
  const gone = containerStatus(record(), plain, undefined, undefined, false);
  t.like(gone, { state: 'unknown', pid: undefined, started: false, ready: false });
  t.is(containerStatus(record({ pid: undefined }), plain, undefined, undefined, true).state, 'unknown', 'never started: no pid');
});

test("readiness comes from the prober's results about this run only; a startup probe holds started back until it passed", (t) => {
  t.false(containerStatus(record(), readiness, undefined, undefined, true).ready, 'no results yet');
  t.true(containerStatus(record(), readiness, undefined, probes(), true).ready);
  t.false(containerStatus(record(), readiness, undefined, probes({ ready: false }), true).ready);
  t.false(containerStatus(record(), readiness, undefined, probes({ running: false }), true).ready);
  const earlier = containerStatus(record(), readiness, undefined, probes({ pid: 4000 }), true);
  t.false(earlier.ready, 'results of an earlier run say nothing of this one');
  t.deepEqual(earlier.probes, []);
  t.true(containerStatus(record(), readiness, undefined, undefined, true).started, 'no startup probe: started once running');
  t.false(containerStatus(record(), startup, undefined, probes({ started: false }), true).started);
  t.true(containerStatus(record(), startup, undefined, probes(), true).started);
  t.true(containerStatus(record({ init: true }), readiness, undefined, undefined, true).ready, 'init containers are never probed');
});

test("a lost prober's results are unknown: not ready, each result 'unknown'; started is kept; unprobed containers are unaffected", (t) => {
  const result = {
    kind: 'readiness',
    type: 'exec',
    successes: 3,
    failures: 0,
    lastResult: 'success',
    lastProbeAt: '',
    lastOutput: '',
  } as const;
  const lost = containerStatus(record(), readiness, undefined, probes({ probes: [result] }), true, { proberLost: true });
  t.false(lost.ready);
  t.deepEqual(
    lost.probes?.map((p) => p.lastResult),
    ['unknown'],
  );
  t.true(containerStatus(record(), startup, undefined, probes(), true, { proberLost: true }).started, 'started before: started still');
  t.true(containerStatus(record(), plain, undefined, undefined, true, { proberLost: true }).ready, 'no probes: no prober needed');
});

test('a container whose shim is lost is unknown (ShimLost) even while its pid runs; the exit gc records says ShimLost', (t) => {
  const lost = containerStatus(record(), plain, undefined, undefined, true, { shimLost: true });
  t.is(lost.state, 'unknown');
  t.is(lost.reason, 'ShimLost');
  t.false(lost.ready);
  const recorded = containerStatus(record(), plain, exit({ exitCode: 137, reason: 'ShimLost' }), undefined, false, { shimLost: false });
  t.is(recorded.state, 'exited');
  t.is(recorded.reason, 'ShimLost');
});

const pod = (over: Partial<PodRecord> = {}): PodRecord => ({
  version: 1,
  name: 'web',
  uid: '0123abcd',
  createdAt: '2024-05-01T09:59:00.000Z',
  phase: 'Running',
  spec: { name: 'web', containers: [plain] },
  dir: '/run/nspod/pods/web',
  runtime: { name: 'runc', binary: '/usr/bin/runc', root: '/run/nspod/runtime/runc' },
  containers: [record()],
  networkMode: 'none',
  pause: {
    id: 'web',
    pid: 4200,
    startTime: 1,
    bundle: '/run/nspod/pods/web/pause',
    logPath: '/run/nspod/pods/web/pause/pause.log',
    exitFile: '/run/nspod/pods/web/pause/exit',
    namespaces: Object.fromEntries(
      ['net', 'ipc', 'uts', 'pid', 'mnt'].map((ns, i) => [ns, { path: `/proc/4200/ns/${ns}`, inode: i }]),
    ) as never,
  },
  ...over,
});
const app = (over: Partial<ContainerStatus> = {}) => ({ ...containerStatus(record(), plain, undefined, undefined, true), ...over });

test('a Running pod is Ready when every app container is; an init container does not count; a dead pause fails the pod', (t) => {
  const s = podStatus(pod(), [app()], true);
  t.like(s, {
    name: 'web',
    phase: 'Running',
    ready: true,
    runtime: 'runc',
    dir: '/run/nspod/pods/web',
    createdAt: '2024-05-01T09:59:00.000Z',
  });
  t.like(s.pause, { id: 'web', pid: 4200, alive: true, bundle: '/run/nspod/pods/web/pause' });
  t.is(s.network.mode, 'none');
  t.true(podStatus(pod(), [app({ name: 'setup', init: true, ready: false }), app()], true).ready);
  t.false(podStatus(pod(), [app(), app({ name: 'b', ready: false })], true).ready);
  const failed = podStatus(pod(), [app()], false);
  t.is(failed.phase, 'Failed');
  t.false(failed.ready);
  t.false(failed.pause!.alive);
});

test('only a Running pod fails with its pause; other phases stand as recorded, never Ready; the network mode defaults by hostNetwork', (t) => {
  for (const phase of ['Creating', 'Stopping', 'Stopped', 'Failed'] as const) {
    const s = podStatus(pod({ phase }), [app()], false);
    t.is(s.phase, phase);
    t.false(s.ready);
  }
  t.is(podStatus(pod({ pause: undefined }), [], false).pause, undefined);
  t.is(podStatus(pod({ networkMode: undefined }), [app()], true).network.mode, 'cni');
  t.is(
    podStatus(pod({ networkMode: undefined, spec: { name: 'web', hostNetwork: true, containers: [plain] } }), [app()], true).network.mode,
    'host',
  );
});

test('an exit file of a run pod.json does not know yet (a restart saving its record) says nothing of the recorded run', (t) => {
  t.deepEqual(currentRunExit(record(), exit()), exit(), 'the recorded run ended');
  t.is(currentRunExit(record(), exit({ pid: 4343 })), undefined, 'the next run ended before its record was saved');
  t.deepEqual(currentRunExit(record(), exit({ pid: 0 })), exit({ pid: 0 }), 'a record cut short still says it exited');
  t.deepEqual(currentRunExit(record({ pid: undefined }), exit({ pid: 4343 })), exit({ pid: 4343 }));
  t.is(currentRunExit(record(), undefined), undefined);
});
