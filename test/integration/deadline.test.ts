/** activeDeadlineSeconds through `nspod run -d` (detached: the timer is a shell, no Node process stays), real runc or crun. */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { eventually, stateRoot } from '../helpers/host.js';
import { nspod, writeManifest } from '../helpers/cli.js';
import { isAlive } from '../../src/host/proc.js';
import type { PodStatus } from '../../src/pod/pod.js';
import type { PodEvent } from '../../src/pod/events.js';

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

async function inspect(root: string, name: string): Promise<{ status: PodStatus; summary: { status: string }; events: PodEvent[] }> {
  const r = await nspod(root, ['inspect', name]);
  if (r.exitCode !== 0) throw new Error(`inspect ${name}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function timerPid(root: string, name: string): Promise<number> {
  const record = JSON.parse(await readFile(path.join(root, 'pods', name, 'pod.json'), 'utf8'));
  return record.deadlineTimer.pid;
}

const manifest = (name: string, deadline: number, command: string, restartPolicy = 'Always') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  activeDeadlineSeconds: ${deadline}
  restartPolicy: ${restartPolicy}
  containers:
  - name: app
    image: busybox
    command: ${command}
`;

test('activeDeadlineSeconds: 3 stops the pod once it has been active 3 s, with reason DeadlineExceeded in status, ps and events', async (t) => {
  const root = await stateRoot(t, 'deadline');
  const name = unique('deadline');
  const file = await writeManifest(root, manifest(name, 3, `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]`));
  t.teardown(() => nspod(root, ['rm', '-f', name]).then(() => undefined));
  t.is((await nspod(root, ['run', '-d', file])).exitCode, 0);
  t.true(isAlive(await timerPid(root, name)), 'the timer runs');
  const i = await eventually(
    async () => {
      const i = await inspect(root, name);
      return i.status.phase === 'Stopped' ? i : undefined;
    },
    20000,
    'the pod to be stopped at its deadline',
  );
  t.is(i.status.reason, 'DeadlineExceeded');
  t.is(i.summary.status, 'DeadlineExceeded');
  t.regex((await nspod(root, ['ps'])).stdout, new RegExp(`^${name}\\s+0/1\\s+DeadlineExceeded`, 'm'));
  const event = i.events.find((e) => e.reason === 'DeadlineExceeded');
  t.truthy(event);
  t.regex(event!.message, /Pod was active on the node longer than the specified deadline/);
  t.true(Date.parse(event!.time) - Date.parse(i.status.createdAt) >= 3000, 'not before 3 s');
  t.is(i.status.containers[0]!.exitCode, 0, 'the app got its stop signal');
  t.is((await nspod(root, ['wait', name, '--for=exit', '--timeout=5s'])).exitCode, 0);
});

test('a pod whose app completed before the deadline is left Completed; nspod stop ends the timer', async (t) => {
  const root = await stateRoot(t, 'deadline');
  const name = unique('deadline-done');
  const file = await writeManifest(root, manifest(name, 2, '["true"]', 'Never'));
  t.teardown(() => nspod(root, ['rm', '-f', name]).then(() => undefined));
  t.is((await nspod(root, ['run', '-d', file])).exitCode, 0);
  const timer = await timerPid(root, name);
  await eventually(() => (isAlive(timer) ? undefined : true), 15000, 'the timer to fire');
  const i = await inspect(root, name);
  t.is(i.summary.status, 'Completed');
  t.is(i.status.reason, undefined);
  t.false(i.events.some((e) => e.reason === 'DeadlineExceeded'));

  const long = unique('deadline-long');
  const file2 = await writeManifest(root, manifest(long, 3600, '["sleep", "3600"]'), 'long.yaml');
  t.teardown(() => nspod(root, ['rm', '-f', long]).then(() => undefined));
  t.is((await nspod(root, ['run', '-d', file2])).exitCode, 0);
  const timer2 = await timerPid(root, long);
  t.true(isAlive(timer2));
  t.is((await nspod(root, ['stop', '-t', '0', long])).exitCode, 0);
  t.false(isAlive(timer2), 'stop ends the timer');
});
