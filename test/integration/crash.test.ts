/**
 * Interrupted creates and stops (issue 17): the CLI is killed at each named step (NSPOD_TEST_CRASH_AT) or parked at
 * one (NSPOD_TEST_BREAK_AT), never by timing; one nspod gc then leaves nothing of the pod, and its name is free at once.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isAlive } from '../../src/host/proc.js';
import { Pod } from '../../src/pod/pod.js';
import { eventually, stateRoot } from '../helpers/host.js';
import { gcOutputOf, nspod, writeManifest } from '../helpers/cli.js';
import { assertNoLeftovers } from '../helpers/leftovers.js';
import { CREATE_STEPS as CHAOS_CREATE_STEPS, STOP_STEPS as CHAOS_STOP_STEPS } from '../../scripts/chaos.js';

const pod = (name: string, probe = false) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 0
  containers:
    - name: app
      image: busybox
      command: ["sleep", "3600"]
${
  probe
    ? `      readinessProbe:
        exec:
          command: ["true"]
        periodSeconds: 1
`
    : ''
}`;

/** Pod processes of a state root: pause and app pids from the record, to check they died. */
async function podPids(root: string, name: string): Promise<number[]> {
  const status = await (await Pod.load(name, { root })).status().catch(() => undefined);
  return [status?.pause?.pid, ...(status?.containers ?? []).map((c) => c.pid)].filter((p): p is number => typeof p === 'number' && p > 0);
}

// The chaos bench's steps; network none here, so no CNI step.
const CREATE_STEPS = CHAOS_CREATE_STEPS.filter((s) => s !== 'after-cni-add');

test('kill -9 of run -d at each create step: one gc leaves nothing of the pod, and the name is reusable at once', async (t) => {
  const root = await stateRoot(t, 'crash-create');
  const name = `cc-${process.pid}`;
  const file = await writeManifest(root, pod(name, true));
  for (const step of CREATE_STEPS) {
    const run = await nspod(root, ['run', '-d', file], { env: { NSPOD_TEST_CRASH_AT: step } });
    t.is(run.signal, 'SIGKILL', `${step}: ${run.stderr}`);
    // run, ps, inspect and rm agree on the name at every instant: a pod with its record, or none.
    const listed = (await nspod(root, ['ps', '-o', 'json'])).stdout.includes(`"${name}"`);
    const inspected = (await nspod(root, ['inspect', name])).exitCode === 0;
    t.is(listed, inspected, `${step}: ps and inspect agree`);
    t.is(inspected, step !== 'create-claim-staged', `${step}: the pod exists once its claim is placed`);
    const pids = inspected ? await podPids(root, name) : [];
    const gc = await nspod(root, ['gc']);
    t.is(gc.exitCode, 0, `${step}: ${gc.stdout}${gc.stderr}`);
    await assertNoLeftovers(t, root, { pod: name, pids });
    t.deepEqual(
      (await readdir(path.join(root, 'pods'))).filter((n) => n.startsWith('.')),
      [],
      `${step}: no claim or trash left`,
    );
    const again = await nspod(root, ['run', '-d', file]);
    t.is(again.exitCode, 0, `${step}: ${again.stderr}`);
    const rm = await nspod(root, ['rm', '-f', name]);
    t.is(rm.exitCode, 0, `${step}: ${rm.stderr}`);
  }
  await assertNoLeftovers(t, root);
});

// From the stopping marker on (before it, a killed rm -f leaves the pod as it was: the stop test below covers that).
const STOP_STEPS = CHAOS_STOP_STEPS.slice(CHAOS_STOP_STEPS.indexOf('stop-marked'));

test('kill -9 of rm -f at each stop step: one gc finishes the removal (restartPolicy Always restarts nothing), the name is reusable at once', async (t) => {
  const root = await stateRoot(t, 'crash-stop');
  const name = `cs-${process.pid}`;
  const file = await writeManifest(root, pod(name));
  for (const step of STOP_STEPS) {
    const run = await nspod(root, ['run', '-d', file]);
    t.is(run.exitCode, 0, `${step}: ${run.stderr}`);
    const pids = await podPids(root, name);
    const rm = await nspod(root, ['rm', '-f', name], { env: { NSPOD_TEST_CRASH_AT: step } });
    t.is(rm.signal, 'SIGKILL', `${step}: ${rm.stderr}`);
    const gc = await nspod(root, ['gc']);
    t.is(gc.exitCode, 0, `${step}: ${gc.stdout}${gc.stderr}`);
    if (!step.startsWith('rm-')) t.regex(gc.stdout, new RegExp(`finished the interrupted removal of pod ${name} \\(stopper-gone\\)`), step);
    await assertNoLeftovers(t, root, { pod: name, pids });
    t.is((await nspod(root, ['inspect', name])).exitCode, 1, step);
    t.deepEqual(await readdir(path.join(root, 'pods')), [], `${step}: no pod dir, claim or trash left`);
    const again = await nspod(root, ['run', '-d', file]);
    t.is(again.exitCode, 0, `${step}: ${again.stderr}`);
    t.is((await nspod(root, ['rm', '-f', name])).exitCode, 0, step);
  }
});

test('kill -9 of stop after the stopping marker: gc finishes the stop and keeps the Stopped pod; a stopper killed before it began leaves the pod running', async (t) => {
  const root = await stateRoot(t, 'crash-stop2');
  const name = `cst-${process.pid}`;
  const file = await writeManifest(root, pod(name));
  t.is((await nspod(root, ['run', '-d', file])).exitCode, 0);
  // Killed holding the pod's lock, before the marker: nothing was stopped; the dead stopper's lock is broken by the next.
  t.is((await nspod(root, ['stop', name], { env: { NSPOD_TEST_CRASH_AT: 'stop-locked' } })).signal, 'SIGKILL');
  t.is(gcOutputOf((await nspod(root, ['gc'])).stdout, [name]), 'nothing to collect\n');
  t.is((await (await Pod.load(name, { root })).status()).phase, 'Running');
  const pids = await podPids(root, name);
  t.is((await nspod(root, ['stop', name], { env: { NSPOD_TEST_CRASH_AT: 'stop-containers' } })).signal, 'SIGKILL');
  const gc = await nspod(root, ['gc']);
  t.regex(gc.stdout, new RegExp(`finished the interrupted stop of pod ${name} \\(stopper-gone\\)`));
  const status = await (await Pod.load(name, { root })).status();
  t.is(status.phase, 'Stopped');
  t.deepEqual(pids.filter(isAlive), []);
  t.false(existsSync(path.join(root, 'pods', name, 'stopping')));
  t.is((await nspod(root, ['rm', name])).exitCode, 0);
  await assertNoLeftovers(t, root, { pod: name, pids });
});

test('five rm -f of one pod at once all exit 0 and leave nothing; rm -f missing present removes present and exits 1 naming missing', async (t) => {
  const root = await stateRoot(t, 'crash-rm5');
  const name = `c5-${process.pid}`;
  const file = await writeManifest(root, pod(name));
  t.is((await nspod(root, ['run', '-d', file])).exitCode, 0);
  const pids = await podPids(root, name);
  // Each rm parks once it has loaded the pod, so all five are under way before any stops it.
  const breaks = path.join(root, 'breaks');
  const env = { NSPOD_TEST_BREAK_AT: 'rm-loaded', NSPOD_TEST_BREAK_DIR: breaks };
  const rms = Array.from({ length: 5 }, () => nspod(root, ['rm', '-f', name], { env }));
  const parked = await eventually(
    async () => {
      const files = existsSync(breaks) ? await readdir(breaks) : [];
      return files.length === 5 ? files : undefined;
    },
    30_000,
    'five rm -f parked',
  );
  await Promise.all(parked.map((f) => import('node:fs/promises').then((fs) => fs.rm(path.join(breaks, f)))));
  const results = await Promise.all(rms);
  for (const r of results) {
    t.is(r.exitCode, 0, r.stderr);
    t.is(r.stdout, `${name}\n`);
    t.is(r.stderr, '');
  }
  await assertNoLeftovers(t, root, { pod: name, pids });

  const present = `cp-${process.pid}`;
  t.is((await nspod(root, ['run', '-d', await writeManifest(root, pod(present), 'present.yaml')])).exitCode, 0);
  const both = await nspod(root, ['rm', '-f', 'missing', present]);
  t.is(both.exitCode, 1);
  t.is(both.stdout, `${present}\n`);
  t.regex(both.stderr, /no pod named "missing"/);
  t.regex(both.stderr, /could not remove missing\n/);
  await assertNoLeftovers(t, root);
});

test('a pod dir without its record (an older crash) is no pod: ps and inspect do not see it, run takes the name, gc removes it at once', async (t) => {
  const root = await stateRoot(t, 'crash-unrec');
  const name = `cu-${process.pid}`;
  const dir = path.join(root, 'pods', name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'pod.json.999999.tmp'), '');
  t.regex((await nspod(root, ['inspect', name])).stderr, /no pod named/);
  t.notRegex((await nspod(root, ['ps'])).stdout, new RegExp(name));
  const gc = await nspod(root, ['gc']);
  t.regex(gc.stdout, new RegExp(`removed state dir ${dir} of pod ${name} \\(unrecorded\\)`));
  t.false(existsSync(dir));
  // And run takes such a name over rather than saying it exists.
  await mkdir(dir);
  await writeFile(path.join(dir, 'pod.json.999999.tmp'), '');
  const run = await nspod(root, ['run', '-d', await writeManifest(root, pod(name))]);
  t.is(run.exitCode, 0, run.stderr);
  t.is((await nspod(root, ['rm', '-f', name])).exitCode, 0);
  await assertNoLeftovers(t, root);
});

test("after a pod's pause was killed, gc's advice is a command that works", async (t) => {
  const root = await stateRoot(t, 'crash-advice');
  const name = `ca-${process.pid}`;
  t.is((await nspod(root, ['run', '-d', await writeManifest(root, pod(name))])).exitCode, 0);
  const pids = await podPids(root, name);
  const pause = (await (await Pod.load(name, { root })).status()).pause!.pid;
  process.kill(pause, 'SIGKILL');
  await eventually(() => (isAlive(pause) ? undefined : true), 10_000, 'pause gone');
  const gc = await nspod(root, ['gc']);
  const advice = new RegExp(`read its logs, then (nspod rm -f ${name})\\n`).exec(gc.stdout);
  t.truthy(advice, gc.stdout);
  const rm = await nspod(root, advice![1]!.split(' ').slice(1));
  t.is(rm.exitCode, 0, rm.stderr);
  await assertNoLeftovers(t, root, { pod: name, pids });
});
