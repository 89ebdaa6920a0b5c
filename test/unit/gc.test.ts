import test from 'ava';
import { orphanReason, parsePodCgroupName, podGcReason, podOfContainerId } from '../../src/pod/gc.js';
import type { NetworkAttachment } from '../../src/network/attachment.js';
import type { PodRecord } from '../../src/pod/store.js';

const record = (phase: PodRecord['phase'], creator = true) =>
  ({ name: 'web', uid: '0123abcd', phase, ...(creator ? { creator: { pid: 1, startTime: 1 } } : {}) }) as PodRecord;

test("a pod cgroup name is a DNS label, a dash and 8 hex digits; anything else is not a pod's", (t) => {
  t.deepEqual(parsePodCgroupName('web-0123abcd'), { pod: 'web', uid: '0123abcd' });
  t.deepEqual(parsePodCgroupName('my-web-2-0123abcd'), { pod: 'my-web-2', uid: '0123abcd' });
  for (const name of [
    'web',
    'web-0123abc',
    'web-0123ABCD',
    'web-0123abcdx',
    '-0123abcd',
    'Web-0123abcd',
    'cgroup.procs',
    'web_x-0123abcd',
  ]) {
    t.is(parsePodCgroupName(name), undefined, name);
  }
});

test('only a Creating pod whose recorded creator is dead is half-made; Stopped and missing pods leave leftovers', (t) => {
  t.is(podGcReason(record('Creating'), false), 'half-made');
  t.is(podGcReason(record('Creating'), true), undefined);
  // A record written before creators were recorded is never taken for half-made.
  t.is(podGcReason(record('Creating', false), false), undefined);
  t.is(podGcReason(record('Running'), false), undefined);
  t.is(podGcReason(record('Failed'), false), undefined);
  t.is(podGcReason(record('Stopping'), false), undefined);
  t.is(podGcReason(record('Stopped'), true), 'pod-stopped');
  t.is(podGcReason(undefined, true), 'pod-gone');
});

test('runtime container ids name their pod: <pod> is the pause, <pod>.<container> an app', (t) => {
  t.is(podOfContainerId('web'), 'web');
  t.is(podOfContainerId('web.client'), 'web');
});

test('a Creating pod whose create could not undo all it made is half-made even while its creator runs; its attachment is an orphan', (t) => {
  const gaveUp = { ...record('Creating'), rollbackFailed: ['network attachment: DEL failed'] } as PodRecord;
  t.is(podGcReason(gaveUp, true), 'half-made');
  t.is(podGcReason({ ...gaveUp, phase: 'Stopped' }, true), 'pod-stopped');
  const attachment = { podUid: '0123abcd' } as NetworkAttachment;
  t.is(orphanReason(attachment, gaveUp, true), 'half-made');
  t.is(orphanReason(attachment, record('Creating'), true), undefined, 'a create still under way holds its attachment');
});
