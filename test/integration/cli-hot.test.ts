import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { findExecutable } from '../../src/host/executables.js';
import type { PodStatus } from '../../src/pod/status.js';
import { eventually, RUNTIME, stateRoot } from '../helpers/host.js';
import { nspod, writeManifest } from '../helpers/cli.js';
import { assertNoLeftovers } from '../helpers/leftovers.js';

/**
 * The runtime behind a pass-through script that writes down who called it (`<parent pid> <args>`) before it
 * execs the real binary: the pods are real, and the log says which process made which runtime call.
 */
async function recordedRuntime(dir: string): Promise<{ runtime: string; calls: () => Promise<{ ppid: number; args: string }[]> }> {
  const real = findExecutable(RUNTIME);
  if (!real) throw new Error(`no ${RUNTIME} on PATH`);
  const log = path.join(dir, 'runtime-calls.log');
  const bin = path.join(dir, 'recorded');
  await mkdir(bin, { recursive: true });
  // Named as the real one: the runtime's name picks its state dir and its rules (crun's cgroup check).
  const runtime = path.join(bin, path.basename(real));
  await writeFile(runtime, `#!/bin/sh\necho "$PPID $*" >> '${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
  const calls = async () =>
    (await readFile(log, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((l) => ({ ppid: Number(l.slice(0, l.indexOf(' '))), args: l.slice(l.indexOf(' ') + 1) }));
  return { runtime, calls };
}

test('ps tells an exited, a restarting and a running container apart from the records alone, with no runtime call', async (t) => {
  const root = await stateRoot(t, 'cli-ps');
  const { runtime, calls } = await recordedRuntime(root);
  const name = `states-${process.pid}`;
  const file = await writeManifest(
    root,
    `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: OnFailure
  containers:
    - name: done
      image: busybox
      command: ["sh", "-c", "exit 0"]
    - name: crash
      image: busybox
      command: ["sh", "-c", "sleep 2; exit 3"]
    - name: serve
      image: busybox
      command: ["sleep", "3600"]
`,
  );
  const run = await nspod(root, ['--runtime', runtime, 'run', '-d', file]);
  t.is(run.exitCode, 0, run.stderr);
  t.true(
    (await calls()).some((c) => /\brun -d\b/.test(c.args)),
    'the pods were started through the recorded runtime',
  );

  // done exits 0 (OnFailure: never again), crash fails after 2 s and is restarted after back-offs that double
  // (100 ms, 200 ms, ...), serve runs.
  const seen = await eventually(
    async () => {
      const ps = nspod(root, ['ps', '-o', 'json']);
      const r = await ps;
      const [pod] = JSON.parse(r.stdout) as PodStatus[];
      const c = Object.fromEntries((pod?.containers ?? []).map((x) => [x.name, x]));
      const settled =
        c.done?.state === 'exited' &&
        c.crash?.state === 'exited' &&
        c.crash.restartCount >= 2 &&
        c.serve?.state === 'running' &&
        c.serve.restartCount === 0;
      return settled ? { pod: pod!, c, pid: ps.pid! } : undefined;
    },
    30_000,
    'done exited, crash restarted twice and exited again, serve running',
  );
  t.like(seen.c.done, { exitCode: 0, restartCount: 0 });
  t.is(seen.c.crash!.exitCode, 3);
  t.truthy(seen.c.serve!.pid);
  t.is(seen.pod.phase, 'Running');
  const byPs = (await calls()).filter((c) => c.ppid === seen.pid);
  t.deepEqual(byPs, [], 'ps made no runtime call');

  // The table says it as kubectl would: a crashing container's back-off, the restarts, the exit codes.
  // (crash is caught between two restarts, as most of the time from here on.)
  const table = await eventually(
    async () => {
      const ps = nspod(root, ['ps']);
      const row = (await ps).stdout.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
      const kubectlLike = new RegExp(`^${name}\\s+1/3\\s+CrashLoopBackOff\\s+[2-9]\\d*\\s.*\\sdone=0,crash=3$`);
      return kubectlLike.test(row) ? { row, pid: ps.pid! } : undefined;
    },
    30_000,
    'a ps row with CrashLoopBackOff and both exit codes',
  );
  t.regex(table.row, /\s-\s+\d+\s+done=0,crash=3$/, 'no IP (network none), the pause pid');
  t.deepEqual(
    (await calls()).filter((c) => c.ppid === table.pid),
    [],
    'ps (table) made no runtime call',
  );

  // Removed while crash runs again (2 s): a supervisor woken by its exit meanwhile would keep the pod's cgroup until gc.
  await eventually(
    async () => {
      const [pod] = JSON.parse((await nspod(root, ['ps', '-o', 'json'])).stdout) as PodStatus[];
      return pod?.containers.find((x) => x.name === 'crash')?.state === 'running' ? true : undefined;
    },
    30_000,
    'crash to run again',
  );
  const rm = await nspod(root, ['rm', '-f', name]);
  t.is(rm.exitCode, 0, rm.stderr);
  await assertNoLeftovers(t, root, { pod: name });
});

test('rm -f of several pods removes them side by side, prints each name in order, and goes on past one that is not there', async (t) => {
  const root = await stateRoot(t, 'cli-rm');
  const names = [0, 1, 2, 3, 4].map((i) => `many-${process.pid}-${i}`);
  const docs = names.map(
    (n) => `apiVersion: v1
kind: Pod
metadata:
  name: ${n}
spec:
  containers:
    - name: app
      image: busybox
      command: ["sleep", "3600"]
`,
  );
  const file = await writeManifest(root, docs.join('---\n'));
  const run = await nspod(root, ['run', '-d', file]);
  t.is(run.exitCode, 0, run.stderr);
  const missing = `missing-${process.pid}`;
  const rm = await nspod(root, ['rm', '-f', names[0]!, missing, ...names.slice(1)]);
  t.is(rm.exitCode, 1, 'one of them was not there');
  t.is(rm.stdout, names.map((n) => `${n}\n`).join(''));
  // One line per name that failed, then the summary of a several-name call.
  t.is(rm.stderr, `nspod: no pod named "${missing}" in ${root} (nspod ps lists the pods)\nnspod: could not remove ${missing}\n`);
  await assertNoLeftovers(t, root);
});

test("the runtime's version is asked once per binary: run -d remembers it, version reads it, a changed binary is asked again", async (t) => {
  const root = await stateRoot(t, 'cli-version');
  const { runtime, calls } = await recordedRuntime(root);
  const asked = async () => (await calls()).filter((c) => c.args === '--version').length;
  const fresh = await nspod(root, ['--runtime', runtime, 'version']);
  t.is(fresh.exitCode, 0, fresh.stderr);
  t.regex(fresh.stdout, /^nspod \d+\.\d+\.\d+\npause \(nspod\) \S+\n(runc|crun) version \S+\n$/);
  t.is(await asked(), 1);
  t.false(existsSync(path.join(root, 'runtime')), 'version makes nothing in a state root that has no pod yet');

  const name = `ver-${process.pid}`;
  const file = await writeManifest(
    root,
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n    - name: app\n      image: busybox\n      command: ["sleep", "3600"]\n`,
  );
  const run = await nspod(root, ['--runtime', runtime, 'run', '-d', file]);
  t.is(run.exitCode, 0, run.stderr);
  t.is(await asked(), 2, 'the create asked once (what the runtime supports)');
  t.is((await nspod(root, ['--runtime', runtime, 'version'])).stdout, fresh.stdout);
  t.is((await nspod(root, ['--runtime', runtime, 'version'])).stdout, fresh.stdout);
  t.is(await asked(), 2, 'version answered from what the create remembered');
  t.is((await nspod(root, ['--runtime', runtime, 'rm', '-f', name])).exitCode, 0);
  t.is((await nspod(root, ['--runtime', runtime, 'run', '-d', file])).exitCode, 0);
  t.is(await asked(), 2, 'so did the next create');

  // A runtime replaced (here: its file rewritten, as an upgrade does) is asked again.
  await writeFile(runtime, await readFile(runtime));
  t.is((await nspod(root, ['--runtime', runtime, 'version'])).stdout, fresh.stdout);
  t.is(await asked(), 3);
  t.is((await nspod(root, ['--runtime', runtime, 'rm', '-f', name])).exitCode, 0);
  await assertNoLeftovers(t, root);
});
