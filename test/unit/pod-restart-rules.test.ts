import test from 'ava';
import { parseManifest } from '../../src/manifest/index.js';
import {
  exitedForGood,
  isSidecar,
  matchingRuleAction,
  mayRestart,
  podOutcome,
  restartsAfter,
  restartsAllAfter,
  ruleMatches,
  sidecars,
} from '../../src/spec/restart.js';
import type { PodSpec } from '../../src/spec/spec.js';
import { deadlineLeftMs } from '../../src/pod/deadline.js';

const rule42 = { action: 'Restart' as const, exitCodes: { operator: 'In' as const, values: [42] } };

const pod = (over: Partial<PodSpec> = {}): PodSpec => ({
  name: 'p',
  restartPolicy: 'Never',
  initContainers: [
    { name: 'setup', image: 'busybox', command: ['true'] },
    { name: 'proxy', image: 'busybox', command: ['sleep', '9'], restartPolicy: 'Always' },
  ],
  containers: [
    { name: 'app', image: 'busybox', command: ['true'], restartPolicy: 'Never', restartPolicyRules: [rule42] },
    { name: 'plain', image: 'busybox', command: ['true'] },
  ],
  ...over,
});

test('a rule matches its exit codes: In the listed ones, NotIn every other', (t) => {
  t.true(ruleMatches(rule42, 42));
  t.false(ruleMatches(rule42, 1));
  const notIn = { action: 'Restart' as const, exitCodes: { operator: 'NotIn' as const, values: [0] } };
  t.true(ruleMatches(notIn, 1));
  t.false(ruleMatches(notIn, 0));
});

test('exit 42 restarts under restartPolicy Never with the rule In [42]; exit 1 does not; a sidecar always restarts', (t) => {
  const spec = pod();
  t.true(restartsAfter(spec, 'app', 42, 0));
  t.true(restartsAfter(spec, 'app', 42, 7), 'a rule has no limit of its own');
  t.false(restartsAfter(spec, 'app', 1, 0));
  t.false(restartsAfter(spec, 'app', 0, 0));
  t.false(restartsAfter(spec, 'plain', 42, 0), "the rule is app's only");
  for (const code of [0, 1, 137]) t.true(restartsAfter(spec, 'proxy', code, 5), `a sidecar, exit ${code}`);
  t.true(mayRestart(spec, 'app'));
  t.true(mayRestart(spec, 'proxy'));
  t.false(mayRestart(spec, 'plain'));
});

test('RestartAllContainers: the first matching rule decides; a sidecar exit 88 restarts the pod, exit 1 only the sidecar', (t) => {
  const all = { action: 'RestartAllContainers' as const, exitCodes: { operator: 'In' as const, values: [88] } };
  const spec = pod({
    initContainers: [
      { name: 'setup', image: 'busybox', command: ['true'] },
      { name: 'watcher', image: 'busybox', command: ['true'], restartPolicy: 'Always', restartPolicyRules: [all] },
    ],
    containers: [{ name: 'app', image: 'busybox', command: ['true'], restartPolicy: 'Never', restartPolicyRules: [rule42, all] }],
  });
  t.true(restartsAllAfter(spec, 'watcher', 88));
  t.false(restartsAllAfter(spec, 'watcher', 1));
  t.true(restartsAfter(spec, 'watcher', 1, 0), 'a sidecar still restarts alone');
  t.true(restartsAllAfter(spec, 'app', 88));
  t.true(restartsAfter(spec, 'app', 88, 0), 'its exit is not for good: it starts again with the pod');
  t.false(restartsAllAfter(spec, 'app', 42));
  t.is(matchingRuleAction(spec.containers[0], 42), 'Restart');
  t.is(
    matchingRuleAction({ restartPolicyRules: [{ ...all, exitCodes: { operator: 'NotIn', values: [0] } }, rule42] }, 42),
    'RestartAllContainers',
  );
  t.false(restartsAfter(spec, 'app', 1, 0));
  t.false(restartsAllAfter(spec, 'setup', 88), 'init containers that run to completion have no rules here');
});

test("a container's restartPolicy replaces the pod's for it", (t) => {
  const spec = pod({
    restartPolicy: 'Always',
    containers: [{ name: 'job', image: 'busybox', command: ['true'], restartPolicy: 'OnFailure' }],
  });
  t.false(restartsAfter(spec, 'job', 0, 0));
  t.true(restartsAfter(spec, 'job', 3, 0));
});

test("sidecars are the init containers with restartPolicy Always; they do not keep the pod's outcome from being reached", (t) => {
  const spec = pod();
  t.deepEqual(
    sidecars(spec).map((c) => c.name),
    ['proxy'],
  );
  t.false(isSidecar(spec.initContainers![0]!));
  const running = { state: 'running' };
  const exited = (name: string, exitCode: number) => ({ name, init: false, state: 'exited', exitCode });
  const outcome = podOutcome(spec, {
    phase: 'Running',
    containers: [exited('app', 0), exited('plain', 0), { name: 'proxy', init: false, sidecar: true, ...running }],
  });
  t.deepEqual(outcome, { how: 'exited', exitCode: 0 });
  t.false(exitedForGood(spec, { name: 'proxy', state: 'exited', exitCode: 137 }), 'a sidecar exit is followed by a restart');
  t.false(exitedForGood(spec, { name: 'app', state: 'exited', exitCode: 42 }));
  t.true(exitedForGood(spec, { name: 'app', state: 'exited', exitCode: 1 }));
});

test("the manifest reads a sidecar, a container's restartPolicy and rules", (t) => {
  const { pods } = parseManifest(
    `apiVersion: v1
kind: Pod
metadata: { name: p }
spec:
  restartPolicy: Never
  activeDeadlineSeconds: 30
  initContainers:
  - name: proxy
    image: busybox
    restartPolicy: Always
    command: [sleep, "3600"]
    readinessProbe: { exec: { command: ["true"] } }
  containers:
  - name: app
    image: busybox
    command: [sh, -c, "exit 42"]
    restartPolicy: Never
    restartPolicyRules:
    - action: Restart
      exitCodes:
        operator: In
        values: [42]
`,
    { file: 'pod.yaml' },
  );
  const spec = pods[0]!;
  t.is(spec.initContainers![0]!.restartPolicy, 'Always');
  t.truthy(spec.initContainers![0]!.readinessProbe, 'a sidecar has probes');
  t.deepEqual(spec.containers[0]!.restartPolicyRules, [rule42]);
  t.is(spec.containers[0]!.restartPolicy, 'Never');
  t.is(spec.activeDeadlineSeconds, 30);
});

test("the deadline is counted from the pod's creation", (t) => {
  const createdAt = '2026-01-01T00:00:00.000Z';
  const at = (s: number) => Date.parse(createdAt) + s * 1000;
  const spec = { ...pod(), activeDeadlineSeconds: 10 };
  t.is(deadlineLeftMs({ createdAt, spec }, at(4)), 6000);
  t.is(deadlineLeftMs({ createdAt, spec }, at(12)), 0);
  t.is(deadlineLeftMs({ createdAt, spec: pod() }, at(4)), undefined);
});
