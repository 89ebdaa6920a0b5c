import test from 'ava';
import { podOutcome } from '../../src/spec/restart.js';
import type { PodSpec } from '../../src/spec/spec.js';

const spec = (restartPolicy: PodSpec['restartPolicy']): PodSpec => ({
  name: 'p',
  restartPolicy,
  containers: [
    { name: 'a', image: 'busybox', command: ['true'] },
    { name: 'b', image: 'busybox', command: ['true'] },
  ],
});
const init = { init: true, state: 'exited', exitCode: 3 };
const exited = (exitCode: number) => ({ init: false, state: 'exited', exitCode });
const running = { init: false, state: 'running' };

test('a Running pod is done once every app exited with no restart to come; the code is the first non-zero one', (t) => {
  t.deepEqual(podOutcome(spec('Never'), { phase: 'Running', containers: [init, exited(0), exited(7)] }), { how: 'exited', exitCode: 7 });
  t.deepEqual(podOutcome(spec('Never'), { phase: 'Running', containers: [init, exited(0), exited(0)] }), { how: 'exited', exitCode: 0 });
  t.is(podOutcome(spec('Never'), { phase: 'Running', containers: [exited(1), running] }), undefined, 'b may still run');
  t.is(podOutcome(spec('OnFailure'), { phase: 'Running', containers: [exited(0), exited(1)] }), undefined, 'b is restarted');
  t.deepEqual(podOutcome(spec('OnFailure'), { phase: 'Running', containers: [exited(0), exited(0)] }), { how: 'exited', exitCode: 0 });
  t.is(podOutcome(spec('Always'), { phase: 'Running', containers: [exited(0), exited(0)] }), undefined, 'Always restarts even a 0');
  t.is(podOutcome(spec(undefined), { phase: 'Running', containers: [exited(0), exited(0)] }), undefined, 'the default is Always');
});

test("a Stopped or Failed pod is done whatever its policy, with its apps' codes (none counts as 0)", (t) => {
  const stopped = { phase: 'Stopped', containers: [exited(143), { init: false, state: 'unknown' }] };
  t.deepEqual(podOutcome(spec('Always'), stopped), { how: 'stopped', exitCode: 143 });
  t.deepEqual(podOutcome(spec('Always'), { phase: 'Failed', containers: [running, running] }), { how: 'failed', exitCode: 0 });
  t.is(podOutcome(spec('Never'), { phase: 'Stopping', containers: [running, exited(0)] }), undefined);
});
