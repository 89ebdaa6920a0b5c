import test from 'ava';
import path from 'node:path';
import { exitCommand, wantsExitCommand } from '../../src/pod/supervisor.js';
import { planPod } from '../../src/pod/plan.js';
import type { PodSpec } from '../../src/spec/spec.js';

const spec = (restartPolicy?: PodSpec['restartPolicy']): PodSpec => ({
  name: 'web',
  ...(restartPolicy ? { restartPolicy } : {}),
  containers: [{ name: 'app', image: 'busybox', command: ['sleep', '1'] }],
});

test("an app container of a supervised pod wakes the supervisor when its exit can lead to a restart or to the pod's removal", (t) => {
  for (const policy of [undefined, 'Always', 'OnFailure'] as const) {
    t.true(wantsExitCommand({ spec: spec(policy), supervised: true }, { name: 'app', init: false }), String(policy));
    t.false(wantsExitCommand({ spec: spec(policy), supervised: true }, { name: 'app', init: true }), `${policy}: an init container never`);
    t.false(wantsExitCommand({ spec: spec(policy), supervised: false }, { name: 'app', init: false }), `${policy}: not supervised`);
    t.false(wantsExitCommand({ spec: spec(policy) }, { name: 'app', init: false }), `${policy}: a record without the flag`);
  }
  t.false(wantsExitCommand({ spec: spec('Never'), supervised: true }, { name: 'app', init: false }), 'Never: no restart to come');
  t.true(
    wantsExitCommand({ spec: spec('Never'), supervised: true, removeWhenDone: true }, { name: 'app', init: false }),
    'Never, but the pod goes when done',
  );
  t.false(wantsExitCommand({ spec: spec('Never'), supervised: true, removeWhenDone: true }, { name: 'app', init: true }));
  t.false(wantsExitCommand({ spec: spec('Never'), supervised: false, removeWhenDone: true }, { name: 'app', init: false }));
});

test('a sidecar always wakes the supervisor, and so do the apps of a pod with sidecars, whatever the restartPolicy', (t) => {
  const withSidecar: PodSpec = {
    ...spec('Never'),
    initContainers: [
      { name: 'setup', image: 'busybox', command: ['true'] },
      { name: 'proxy', image: 'busybox', command: ['sleep', '9'], restartPolicy: 'Always' },
    ],
  };
  t.true(wantsExitCommand({ spec: withSidecar, supervised: true }, { name: 'proxy', init: false }));
  t.true(wantsExitCommand({ spec: withSidecar, supervised: true }, { name: 'app', init: false }), 'it stops the sidecars');
  t.false(wantsExitCommand({ spec: withSidecar, supervised: true }, { name: 'setup', init: true }));
  t.false(wantsExitCommand({ spec: withSidecar, supervised: false }, { name: 'proxy', init: false }));
});

test("a container's restartPolicyRules make its exit wake the supervisor under the pod's Never", (t) => {
  const ruled: PodSpec = {
    ...spec('Never'),
    containers: [
      {
        name: 'app',
        image: 'busybox',
        command: ['true'],
        restartPolicy: 'Never',
        restartPolicyRules: [{ action: 'Restart', exitCodes: { operator: 'In', values: [42] } }],
      },
    ],
  };
  t.true(wantsExitCommand({ spec: ruled, supervised: true }, { name: 'app', init: false }));
  const own: PodSpec = { ...spec('Never'), containers: [{ name: 'app', image: 'busybox', command: ['true'], restartPolicy: 'OnFailure' }] };
  t.true(wantsExitCommand({ spec: own, supervised: true }, { name: 'app', init: false }), "the container's policy replaces the pod's");
});

test("the exit command is this package's CLI with the state root, the pod and the container", (t) => {
  const [node, cli, ...args] = exitCommand('/run/x', 'web', 'app');
  t.is(node, process.execPath);
  t.is(path.basename(cli!), 'nspod.js');
  t.deepEqual(args, ['--root', '/run/x', 'internal', 'container-exited', 'web', 'app']);
});

test('the dry run follows the same rule: -x for a supervised app, none under Never unless the pod goes when done', (t) => {
  const node = { nodeName: 'host', hostIPs: [], cpus: 2, memoryBytes: 2 ** 30 };
  const options = {
    root: '/run/nspod-plan',
    runtime: { name: 'runc', binary: 'runc' },
    cwd: '/',
    nofileHardLimit: 1024,
    lookup: () => undefined,
    node,
  };
  const shim = (s: PodSpec, removeWhenDone?: boolean) =>
    planPod(s, { ...options, removeWhenDone }).commands.find((c) => c.includes(' web.app'))!;
  t.regex(shim(spec()), / -x <nspod internal container-exited> -- /);
  t.notRegex(shim(spec('Never')), / -x /);
  t.regex(shim(spec('Never'), true), / -x <nspod internal container-exited> -- /);
});
