import test from 'ava';
import { containerOomScoreAdj, podQosClass } from '../../src/spec/qos.js';
import { securityWarnings } from '../../src/spec/risks.js';
import { podPidsLimit } from '../../src/spec/pids.js';
import {
  kernelAtLeast,
  oomScoreAdjMin,
  parseRuntimeVersion,
  runtimeHasRecursiveReadOnly,
  thermalThrottleDirs,
} from '../../src/runtime/features.js';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseManifest } from '../../src/manifest/manifest.js';
import type { ContainerSpec, PodSpec } from '../../src/spec/spec.js';

const Mi = 1024 * 1024;
const pod = (...containers: ContainerSpec['resources'][]): PodSpec => ({
  name: 'p',
  containers: containers.map((resources, i) => ({ name: `c${i}`, image: 'busybox', ...(resources ? { resources } : {}) })),
});

/** The docs' "Configure Quality of Service for Pods" manifests, as published (nginx, redis). */
const QOS_PODS = {
  'qos-pod': ['Guaranteed', 'limits: {memory: "200Mi", cpu: "700m"}\n      requests: {memory: "200Mi", cpu: "700m"}'],
  'qos-pod-2': ['Burstable', 'limits: {memory: "200Mi"}\n      requests: {memory: "100Mi"}'],
  'qos-pod-3': ['BestEffort', undefined],
} as const;

for (const [name, [qos, resources]] of Object.entries(QOS_PODS)) {
  test(`the docs' ${name} is ${qos}`, (t) => {
    const text = `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: qos-example
spec:
  containers:
  - name: ${name}-ctr
    image: nginx${resources ? `\n    resources:\n      ${resources}` : ''}
`;
    const { pods } = parseManifest(text, { file: 'pod.yaml' });
    t.is(podQosClass(pods[0]!), qos);
  });
}

test("the docs' qos-pod-4 (one container requests memory, the other nothing) is Burstable", (t) => {
  t.is(podQosClass(pod({ memoryRequestBytes: 200 * Mi }, undefined)), 'Burstable');
});

test("QoS classes as the API server computes them: a limit is its request's default; every container must limit both; init containers count", (t) => {
  t.is(podQosClass(pod(undefined, undefined)), 'BestEffort');
  t.is(podQosClass(pod({ memoryBytes: 64 * Mi, cpu: 0.5 })), 'Guaranteed', 'requests default to limits');
  t.is(podQosClass(pod({ memoryBytes: 64 * Mi, cpu: 0.5, cpuShares: 512 })), 'Guaranteed', "the manifest's shares of the limit");
  t.is(podQosClass(pod({ memoryBytes: 64 * Mi, cpu: 0.5, cpuRequest: 0.25 })), 'Burstable');
  t.is(podQosClass(pod({ memoryBytes: 64 * Mi, cpu: 0.5 }, { memoryBytes: 64 * Mi })), 'Burstable', 'one without a cpu limit');
  t.is(podQosClass(pod({ memoryBytes: 64 * Mi, cpu: 0.5 }, undefined)), 'Burstable');
  t.is(podQosClass(pod({ cpuShares: 2 })), 'Burstable', 'a typed cpuShares is a request');
  const withInit: PodSpec = { ...pod({ memoryBytes: 64 * Mi, cpu: 0.5 }), initContainers: [{ name: 'i', image: 'busybox' }] };
  t.is(podQosClass(withInit), 'Burstable', 'an init container without limits');
});

test("the kubelet's oom_score_adj: -997 Guaranteed, 1000 BestEffort, Burstable 1000 - 1000 x request / memory within 3..999", (t) => {
  const c = (memoryRequestBytes?: number): ContainerSpec => ({ name: 'c', image: 'x', resources: { memoryRequestBytes } });
  const capacity = 1000 * Mi;
  t.is(containerOomScoreAdj('Guaranteed', c(), capacity), -997);
  t.is(containerOomScoreAdj('BestEffort', c(), capacity), 1000);
  t.is(containerOomScoreAdj('Burstable', c(100 * Mi), capacity), 900);
  t.is(containerOomScoreAdj('Burstable', c(333 * Mi + 1), capacity), 667, 'truncated as Go divides');
  t.is(containerOomScoreAdj('Burstable', c(), capacity), 999, 'no request: below BestEffort');
  t.is(containerOomScoreAdj('Burstable', c(999 * Mi), capacity), 3, 'above Guaranteed');
  t.is(containerOomScoreAdj('Burstable', c(2000 * Mi), capacity), 3);
  t.is(
    containerOomScoreAdj('Burstable', { name: 'c', image: 'x', resources: { memoryBytes: 500 * Mi } }, capacity),
    500,
    'the limit as the request',
  );
});

test('the pids limit: the annotation, else the option, else 2048', (t) => {
  t.is(podPidsLimit(undefined, undefined), 2048);
  t.is(podPidsLimit(undefined, 100), 100);
  t.is(podPidsLimit({ 'nspod.io/pids-limit': '300' }, 100), 300);
  t.is(podPidsLimit({ 'nspod.io/pids-limit': '-1' }, 100), -1);
});

test('one warning per risk: hostNetwork, a hostPath of / /proc /sys /dev, privileged, SYS_ADMIN or ALL added', (t) => {
  const spec: PodSpec = {
    name: 'p',
    hostNetwork: true,
    volumes: [
      { name: 'root', hostPath: { path: '/' } },
      { name: 'proc', hostPath: { path: '/proc' } },
      { name: 'cg', hostPath: { path: '/sys/fs/cgroup' } },
      { name: 'dev', hostPath: { path: '/dev/' } },
      { name: 'fine', hostPath: { path: '/srv/data' } },
      { name: 'devlike', hostPath: { path: '/devices' } },
    ],
    initContainers: [{ name: 'i', image: 'x', capabilities: { add: ['sys_admin'] } }],
    containers: [
      { name: 'a', image: 'x', privileged: true, capabilities: { add: ['SYS_ADMIN'] } },
      { name: 'b', image: 'x', capabilities: { add: ['ALL'] } },
      { name: 'c', image: 'x', capabilities: { add: ['NET_ADMIN'] } },
    ],
  };
  const w = securityWarnings(spec);
  t.is(w.length, 8, w.join('\n'));
  t.regex(w[0]!, /^hostNetwork: true: /);
  t.regex(w[1]!, /^volumes\[0\]\.hostPath\.path: \/ gives the containers that mount it the host's whole filesystem/);
  t.regex(w[2]!, /^volumes\[1\]\.hostPath\.path: \/proc gives .* the host's \/proc/);
  t.regex(w[3]!, /^volumes\[2\]\.hostPath\.path: \/sys\/fs\/cgroup gives .* the host's \/sys/);
  t.regex(w[4]!, /^volumes\[3\]\.hostPath\.path: \/dev\/ gives .* the host's \/dev/);
  t.regex(w[5]!, /^initContainers\[0\] \(i\): capabilities\.add SYS_ADMIN: /);
  t.regex(w[6]!, /^containers\[0\] \(a\): privileged: true: /);
  t.regex(w[7]!, /^containers\[1\] \(b\): capabilities\.add ALL: /);
  t.deepEqual(securityWarnings({ name: 'p', containers: [{ name: 'a', image: 'x' }] }), []);
});

test('host facts: kernel and runtime versions for rro, the thermal_throttle dirs this host has', async (t) => {
  t.true(kernelAtLeast(5, 12, '5.12.0'));
  t.true(kernelAtLeast(5, 12, '6.1.0-18-amd64'));
  t.false(kernelAtLeast(5, 12, '5.10.0-28-amd64'));
  t.false(kernelAtLeast(5, 12, 'weird'));
  t.deepEqual(parseRuntimeVersion('runc version 1.1.5+ds1\ncommit: x\n'), { name: 'runc', major: 1, minor: 1 });
  t.true(runtimeHasRecursiveReadOnly(parseRuntimeVersion('runc version 1.1.5+ds1')));
  t.false(runtimeHasRecursiveReadOnly(parseRuntimeVersion('runc version 1.0.3')));
  t.true(runtimeHasRecursiveReadOnly(parseRuntimeVersion('crun version 1.8.1\ncommit: x')));
  t.false(runtimeHasRecursiveReadOnly(parseRuntimeVersion('crun version 1.3')));
  t.false(runtimeHasRecursiveReadOnly(undefined));
  t.is(oomScoreAdjMin('CapEff:\t000001ffffffffff\n', '0\n'), -1000, 'CAP_SYS_RESOURCE: any value');
  t.is(oomScoreAdjMin('CapEff:\t000001fffeffffff\n', '0\n'), 0, 'without it: not below its own');
  t.is(oomScoreAdjMin('CapEff:\t0000000000000000\n', '500\n'), 500);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nspod-cpus-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const d of ['cpu10/thermal_throttle', 'cpu2/thermal_throttle', 'cpu3', 'cpufreq', 'cpu0/thermal_throttle'])
    await mkdir(path.join(dir, d), { recursive: true });
  t.deepEqual(
    thermalThrottleDirs(dir),
    ['cpu0', 'cpu2', 'cpu10'].map((c) => path.join(dir, c, 'thermal_throttle')),
  );
  t.deepEqual(thermalThrottleDirs(path.join(dir, 'none')), []);
});
