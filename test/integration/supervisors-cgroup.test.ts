/**
 * The supervisors of a pod (its shims, its prober) live in the pod's own cgroup: a pod created from a
 * cgroup that is then killed whole (a systemd unit stopped, a CI job ended) keeps its logs and restarts.
 */
import test from 'ava';
import { mkdir, readFile, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { cgroupMounts } from '../../src/host/cgroups.js';
import { isAlive } from '../../src/host/proc.js';
import { assertNoLeftovers } from '../helpers/leftovers.js';
import { eventually, stateRoot } from '../helpers/host.js';
import { NSPOD_BIN, nspod, writeManifest } from '../helpers/cli.js';
import { RUNTIME } from '../helpers/host.js';

/** The hierarchies a creator is put in: all but v1's cpuset (a new cpuset cgroup has no cpus to run on). */
function creatorHierarchies(): string[] {
  return cgroupMounts().filter((m) => path.basename(m) !== 'cpuset');
}

async function procsOf(dirs: string[]): Promise<number[]> {
  const pids = new Set<number>();
  for (const d of dirs) {
    const text = await readFile(path.join(d, 'cgroup.procs'), 'utf8').catch(() => '');
    for (const l of text.split('\n').filter(Boolean)) pids.add(Number(l));
  }
  return [...pids];
}

test('a pod created from a cgroup that is then killed whole keeps its shims: logs grow, a killed app restarts, rm -f leaves nothing', async (t) => {
  const root = await stateRoot(t, 'supervisors');
  const name = `sup-${process.pid}`;
  const creator = creatorHierarchies().map((m) => path.join(m, `nspod-test-creator-${process.pid}`));
  t.teardown(async () => {
    await nspod(root, ['rm', '-f', name]);
    for (const d of creator) {
      for (const pid of await procsOf([d])) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      await eventually(
        () =>
          rmdir(d).then(
            () => true,
            (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? true : undefined),
          ),
        5000,
        `rmdir ${d}`,
      );
    }
  });
  for (const d of creator) await mkdir(d, { recursive: true });
  const file = await writeManifest(
    root,
    `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: busybox
      command: ["sh", "-c", "while true; do echo tick; sleep 0.1; done"]
`,
  );
  // The creator joins the cgroups first, then becomes `nspod run -d`: everything it spawns starts there.
  const join = 'for f in "$@"; do echo $$ > "$f/cgroup.procs"; done; exec "$NODE" "$NSPOD" --root "$ROOT" --runtime "$RT" run -d "$FILE"';
  const run = await execa('sh', ['-c', join, 'sh', ...creator], {
    reject: false,
    env: { NODE: process.execPath, NSPOD: NSPOD_BIN, ROOT: root, RT: RUNTIME, FILE: file, NSPOD_RESTART_BACKOFF_MS: '100' },
  });
  t.is(run.exitCode, 0, run.stderr);

  // Everything left in the creator's cgroup is killed, as systemd or a CI runner does at the end of a job.
  for (const pid of await procsOf(creator)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  await eventually(async () => ((await procsOf(creator)).length === 0 ? true : undefined), 5000, 'the creator cgroup to empty');

  const inspect = async () => JSON.parse((await nspod(root, ['inspect', name])).stdout).status.containers[0];
  const before = await inspect();
  t.truthy(before.pid, 'the app runs');
  const logFile: string = before.logPath;
  const size = (await stat(logFile)).size;
  await eventually(async () => ((await stat(logFile)).size > size ? true : undefined), 5000, 'the log to grow');

  process.kill(before.pid, 'SIGKILL');
  const after = await eventually(
    async () => {
      const c = await inspect();
      return c.restartCount >= 1 && c.pid && c.pid !== before.pid ? c : undefined;
    },
    15000,
    'the killed app to be restarted by its shim',
  );
  t.true(isAlive(after.pid));

  const rm = await nspod(root, ['rm', '-f', name]);
  t.is(rm.exitCode, 0, rm.stderr);
  await assertNoLeftovers(t, root, { pod: name, pids: [before.pid, after.pid] });
});
