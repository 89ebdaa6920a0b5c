import test from 'ava';
import { bindMount, buildSiblingSpec, containerCapabilities, containerEnv } from '../../src/oci/sibling.js';
import { MASKED_PATHS } from '../../src/oci/common.js';
import { buildPauseSpec } from '../../src/oci/pause.js';
import { pauseNamespacePaths } from '../../src/oci/spec.js';
import { specErrors } from '../../src/oci/validate.js';
import type { ContainerSpec } from '../../src/spec/spec.js';

const pause = pauseNamespacePaths(4242);
const pod = { name: 'web', hostname: 'web', cgroup: 'web-0a1b2c3d' };
const build = (
  container: ContainerSpec & { env?: Record<string, string> },
  extra: Partial<typeof pod & { shareProcessNamespace: boolean; hostNetwork: boolean }> = {},
) =>
  buildSiblingSpec({
    pod: { ...pod, ...extra },
    container,
    env: container.env ?? {},
    pause,
    rootfs: '/run/nspod/pods/web/containers/c/bundle/rootfs',
    nofileHardLimit: 20000,
  });

test("a sibling joins the pause's net, ipc and uts by path, gets its own mount and pid namespace and its own cgroup", (t) => {
  const spec = build({ name: 'c', image: 'busybox', command: ['sleep'], args: ['10'] });
  t.deepEqual(specErrors(spec), []);
  const ns = Object.fromEntries((spec.linux?.namespaces ?? []).map((n) => [n.type, n.path ?? null]));
  t.deepEqual(ns, {
    mount: null,
    pid: null,
    cgroup: null,
    network: '/proc/4242/ns/net',
    ipc: '/proc/4242/ns/ipc',
    uts: '/proc/4242/ns/uts',
  });
  t.is(spec.linux?.cgroupsPath, '/nspod/web-0a1b2c3d/c');
  t.deepEqual(spec.process?.args, ['sleep', '10']);
  t.is(spec.hostname, undefined, 'a joined uts namespace cannot be given a hostname');
});

test("shareProcessNamespace joins the pause's pid namespace; hostNetwork joins no network namespace", (t) => {
  const shared = build({ name: 'c', image: 'busybox', command: ['true'] }, { shareProcessNamespace: true });
  t.deepEqual(
    shared.linux?.namespaces?.find((n) => n.type === 'pid'),
    { type: 'pid', path: '/proc/4242/ns/pid' },
  );
  const host = build({ name: 'c', image: 'busybox', command: ['true'] }, { hostNetwork: true });
  t.false(host.linux?.namespaces?.some((n) => n.type === 'network'));
});

test('user, working dir, env, read-only root and resource limits map to the spec', (t) => {
  const spec = build({
    name: 'c',
    image: 'busybox',
    command: ['sh'],
    env: { A: '1', PATH: '/bin' },
    workingDir: '/tmp',
    user: { uid: 1000, gid: 2000 },
    readOnlyRootFilesystem: true,
    resources: { memoryBytes: 64 * 1024 * 1024, cpu: 0.5, cpuShares: 512, pids: 100 },
  });
  t.deepEqual(specErrors(spec), []);
  t.deepEqual(spec.process?.user, { uid: 1000, gid: 2000 });
  t.is(spec.process?.cwd, '/tmp');
  t.deepEqual(spec.process?.env, ['PATH=/bin', 'HOSTNAME=web', 'A=1']);
  t.true(spec.root?.readonly);
  t.deepEqual(spec.linux?.resources?.memory, { limit: 67108864 });
  t.deepEqual(spec.linux?.resources?.cpu, { period: 100000, quota: 50000, shares: 512 });
  t.deepEqual(spec.linux?.resources?.pids, { limit: 100 });
});

test("rlimits never exceed the caller's hard limit", (t) => {
  const spec = buildSiblingSpec({
    pod,
    container: { name: 'c', image: 'x', command: ['true'] },
    env: {},
    pause,
    rootfs: '/r',
    nofileHardLimit: 4096,
  });
  t.deepEqual(spec.process?.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 4096, hard: 4096 }]);
});

test('capabilities: defaults, add and drop (names with or without CAP_), drop ALL, privileged', (t) => {
  const caps = containerCapabilities({ capabilities: { add: ['NET_ADMIN'], drop: ['cap_kill', 'MKNOD'] } });
  t.true(caps.includes('CAP_NET_ADMIN'));
  t.false(caps.includes('CAP_KILL'));
  t.false(caps.includes('CAP_MKNOD'));
  t.true(caps.includes('CAP_CHOWN'));
  t.deepEqual(containerCapabilities({ capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } }), ['CAP_NET_BIND_SERVICE']);
  t.true(containerCapabilities({ privileged: true }).includes('CAP_SYS_ADMIN'));
  const privileged = build({ name: 'c', image: 'x', command: ['true'], privileged: true });
  t.is(privileged.linux?.maskedPaths, undefined);
  t.deepEqual(specErrors(privileged), []);
});

test("env: the container's variables override PATH and HOSTNAME", (t) => {
  t.deepEqual(containerEnv({ HOSTNAME: 'other' }, 'web'), [
    `PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    'HOSTNAME=other',
  ]);
});

test("defaults at least Docker's: oom_score_adj always set, pids limited to 2048 unless told, /sys/fs/cgroup read-only in its own cgroup namespace, thermal_throttle masked", (t) => {
  const c = { name: 'c', image: 'busybox', command: ['true'] };
  const plain = build(c);
  t.is(plain.process?.oomScoreAdj, 0, 'never inherited from whoever runs nspod');
  t.deepEqual(plain.linux?.resources?.pids, { limit: 2048 });
  const cgroup = plain.mounts?.find((m) => m.destination === '/sys/fs/cgroup');
  t.deepEqual(cgroup, {
    destination: '/sys/fs/cgroup',
    type: 'cgroup',
    source: 'cgroup',
    options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
  });
  t.true(plain.linux?.maskedPaths?.includes('/proc/interrupts'));
  const thermal = ['/sys/devices/system/cpu/cpu0/thermal_throttle', '/sys/devices/system/cpu/cpu1/thermal_throttle'];
  const input = { pod, container: c, env: {}, pause, rootfs: '/r', nofileHardLimit: 1024 };
  const told = buildSiblingSpec({
    ...input,
    oomScoreAdj: -997,
    pidsLimit: 100,
    host: { thermalThrottleDirs: thermal, recursiveReadOnly: true, oomScoreAdjMin: -1000 },
  });
  t.deepEqual(specErrors(told), []);
  t.is(told.process?.oomScoreAdj, -997);
  t.deepEqual(told.linux?.resources?.pids, { limit: 100 });
  t.deepEqual(told.linux?.maskedPaths, [...MASKED_PATHS, ...thermal]);
  t.is(buildSiblingSpec({ ...input, pidsLimit: 0 }).linux?.resources?.pids, undefined, '0: no limit');
  t.deepEqual(buildSiblingSpec({ ...input, container: { ...c, resources: { pids: 7 } }, pidsLimit: 100 }).linux?.resources?.pids, {
    limit: 7,
  });
  const privileged = build({ ...c, privileged: true });
  t.is(privileged.mounts?.find((m) => m.destination === '/sys/fs/cgroup')?.options?.at(-1), 'rw');
  t.is(privileged.linux?.maskedPaths, undefined);
  const pauseSpec = buildPauseSpec({
    hostname: 'web',
    cgroupsPath: '/nspod/x/pause',
    nofileHardLimit: 1024,
    host: { thermalThrottleDirs: thermal, recursiveReadOnly: false, oomScoreAdjMin: -1000 },
  });
  t.is(pauseSpec.process?.oomScoreAdj, -998);
  // Without CAP_SYS_RESOURCE the kernel refuses a value below the caller's own: never asked for.
  const sandbox = { thermalThrottleDirs: [], recursiveReadOnly: false, oomScoreAdjMin: 0 };
  t.is(buildSiblingSpec({ ...input, oomScoreAdj: -997, host: sandbox }).process?.oomScoreAdj, 0);
  t.is(buildSiblingSpec({ ...input, oomScoreAdj: 1000, host: sandbox }).process?.oomScoreAdj, 1000);
  t.is(buildPauseSpec({ hostname: 'web', cgroupsPath: '/p', nofileHardLimit: 1024, host: sandbox }).process?.oomScoreAdj, 0);
  t.deepEqual(pauseSpec.linux?.maskedPaths, [...MASKED_PATHS, ...thermal]);
});

test('a read-only bind is recursive (rro) where the host can make it so', (t) => {
  t.deepEqual(bindMount('/a', '/b', true, true).options, ['rbind', 'rprivate', 'ro', 'rro']);
  t.deepEqual(bindMount('/a', '/b', true, false).options, ['rbind', 'rprivate', 'ro']);
  t.deepEqual(bindMount('/a', '/b', false, true).options, ['rbind', 'rprivate', 'rw']);
});

test('a memory limit allows no swap where the host accounts swap (Kubernetes NoSwap), and leaves swap alone where it cannot', (t) => {
  const c = { name: 'c', image: 'busybox', command: ['sh'], resources: { memoryBytes: 16 * 1024 * 1024 } };
  const input = {
    pod: { name: 'p', hostname: 'web', cgroup: 'p-1' },
    env: {},
    pause: pauseNamespacePaths(1),
    rootfs: '/r',
    nofileHardLimit: 1024,
  };
  t.deepEqual(buildSiblingSpec({ ...input, container: c, swapAccounting: true }).linux?.resources?.memory, {
    limit: 16777216,
    swap: 16777216,
  });
  t.deepEqual(buildSiblingSpec({ ...input, container: c, swapAccounting: false }).linux?.resources?.memory, { limit: 16777216 });
});
