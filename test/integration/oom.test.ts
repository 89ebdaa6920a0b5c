import test from 'ava';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readJson } from '../../src/host/files.js';
import type { ExitRecord } from '../../src/pod/pod.js';
import type { Pod } from '../../src/pod/pod.js';
import { testPod } from '../helpers/pods.js';
import { eventually } from '../helpers/host.js';

async function exited(pod: Pod): Promise<void> {
  await eventually(
    async () => ((await pod.status()).containers[0]!.state === 'exited' ? true : undefined),
    30_000,
    'the container to exit',
  );
}

test('a container over its 16Mi memory limit (it holds 100 MB): exit record oomKilled with code 137, an OOMKilled event', async (t) => {
  const { pod } = await testPod(t, {
    network: 'none',
    restartPolicy: 'Never',
    containers: [
      {
        name: 'hog',
        image: 'busybox',
        // The shell itself holds the 100 MB the substitution reads: the OOM killer picks it, the container's init.
        command: ['sh', '-c', 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived ${#x}'],
        resources: { memoryBytes: 16 * 1024 * 1024 },
      },
    ],
  });
  await exited(pod);
  const error = await t.throwsAsync(pod.waitReady({ timeout: 5_000 }));
  t.regex(error!.message, /container hog is exited with code 137 \(OOMKilled\)/);
  const exit = await readJson<ExitRecord>(`${pod.dir}/containers/hog/exit`);
  t.is(exit?.oomKilled, true);
  t.is(exit?.exitCode, 137);
  t.is(exit?.signal, 9);
  const status = await pod.status();
  t.true(status.containers[0]!.oomKilled);
  const events = await pod.events();
  const oom = events.filter((e) => e.reason === 'OOMKilled');
  t.is(oom.length, 1, 'recorded once, however often status() is read');
  t.is(oom[0]!.container, 'hog');
  t.is(oom[0]!.type, 'Warning');
  t.truthy(events.find((e) => e.reason === 'Exited' && /code 137/.test(e.message)));
});

test('a container that exits by itself within its memory limit is not oomKilled', async (t) => {
  const { pod } = await testPod(t, {
    network: 'none',
    restartPolicy: 'Never',
    containers: [
      {
        name: 'small',
        image: 'busybox',
        command: ['sh', '-c', 'x=$(head -c 1000000 /dev/zero | tr "\\0" a); exit 3'],
        resources: { memoryBytes: 32 * 1024 * 1024 },
      },
    ],
  });
  await exited(pod);
  await t.throwsAsync(pod.waitReady({ timeout: 5_000 }), { message: /exited with code 3/ });
  const exit = await readJson<ExitRecord>(`${pod.dir}/containers/small/exit`);
  t.is(exit?.exitCode, 3);
  t.is(exit?.oomKilled, undefined);
  const events = await pod.events();
  t.is(events.filter((e) => e.reason === 'OOMKilled').length, 0);
  t.is(events.filter((e) => e.reason === 'Exited').length, 1);
});

test('a memory limit is a limit on swap too: memory+swap equals it in the container cgroup (v1 memsw) or memory.swap.max is 0 (v2)', async (t) => {
  const { pod } = await testPod(t, {
    network: 'none',
    containers: [{ name: 'capped', image: 'busybox', command: ['sleep', '3600'], resources: { memoryBytes: 16 * 1024 * 1024 } }],
  });
  const pid = (await pod.status()).containers[0]!.pid!;
  const lines = (await readFile(`/proc/${pid}/cgroup`, 'utf8')).split('\n');
  const v1 = lines.find((l) => /^\d+:memory:/.test(l));
  if (v1 !== undefined) {
    const dir = path.join('/sys/fs/cgroup/memory', v1.split(':')[2]!);
    t.is((await readFile(path.join(dir, 'memory.limit_in_bytes'), 'utf8')).trim(), '16777216');
    t.is((await readFile(path.join(dir, 'memory.memsw.limit_in_bytes'), 'utf8')).trim(), '16777216');
  } else {
    const dir = path.join('/sys/fs/cgroup', lines.find((l) => l.startsWith('0::'))!.slice(3));
    t.is((await readFile(path.join(dir, 'memory.max'), 'utf8')).trim(), '16777216');
    t.is((await readFile(path.join(dir, 'memory.swap.max'), 'utf8')).trim(), '0');
  }
});
