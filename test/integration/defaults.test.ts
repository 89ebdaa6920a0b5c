import test from 'ava';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { hostSpecFacts } from '../../src/runtime/features.js';
import { findExecutable } from '../../src/host/executables.js';
import { RUNTIME } from '../helpers/host.js';
import { sleeper, testPod } from '../helpers/pods.js';
import { tempDir } from '../helpers/images.js';

/** The first of `files` a container can read, with what it says. */
const firstOf = (...files: string[]) => files.map((f) => `cat ${f} 2>/dev/null`).join(' || ');

test("defaults at least Docker's: oom_score_adj set (not inherited), a pids limit of 2048, its own cgroup namespace with /sys/fs/cgroup read-only showing its own limits, masked paths", async (t) => {
  const { pod } = await testPod(t, {
    annotations: { 'nspod.io/pids-limit': '300' },
    containers: [sleeper('plain'), { ...sleeper('limited'), resources: { memoryBytes: 32 * 1024 * 1024, pids: 64 } }],
  });
  const status = await pod.status();
  const run = async (c: string, script: string) => {
    const r = await pod.exec(c, ['sh', '-c', script]);
    return { ...r, stdout: r.stdout.trim() };
  };
  // Burstable (one container limits memory, the other nothing): the kubelet's formula, from a request of 32Mi (its limit).
  const total = Number(/^MemTotal:\s+(\d+) kB/m.exec(await readFile('/proc/meminfo', 'utf8'))![1]) * 1024;
  const adj = async (c: string) =>
    (await readFile(`/proc/${status.containers.find((s) => s.name === c)!.pid}/oom_score_adj`, 'utf8')).trim();
  t.is(await adj('limited'), String(1000 - Math.trunc((1000 * 32 * 1024 * 1024) / total)));
  t.is(await adj('plain'), '999', 'no request: 1000 - 0, kept below BestEffort');
  // The pause: the kubelet's sandbox value, where nspod may set one below its own (CAP_SYS_RESOURCE; not in every sandbox).
  const floor = hostSpecFacts(findExecutable(RUNTIME)!).oomScoreAdjMin;
  t.is(await readFile(`/proc/${status.pause!.pid}/oom_score_adj`, 'utf8'), `${Math.max(-998, floor)}\n`);
  t.is(status.qosClass, 'Burstable');

  // pids: the pod's annotation for the container that names none, its own resources.pids for the other.
  t.is((await run('plain', firstOf('/sys/fs/cgroup/pids.max', '/sys/fs/cgroup/pids/pids.max'))).stdout, '300');
  t.is((await run('limited', firstOf('/sys/fs/cgroup/pids.max', '/sys/fs/cgroup/pids/pids.max'))).stdout, '64');
  // Its own memory limit, where a JVM or Node looks for it.
  t.is((await run('limited', firstOf('/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes'))).stdout, '33554432');

  // Its own cgroup namespace: every hierarchy's path is its root; the host's cgroups are not there to see.
  const cgroups = (await run('plain', 'cat /proc/self/cgroup')).stdout.split('\n');
  t.true(
    cgroups.every((l) => l.endsWith(':/')),
    cgroups.join('\n'),
  );
  const fromHost = await readFile(`/proc/${status.containers.find((c) => c.name === 'plain')!.pid}/cgroup`, 'utf8');
  t.regex(fromHost, new RegExp(`:/nspod/${pod.cgroup}/plain$`, 'm'), 'seen from the host: its cgroup under /nspod');
  // Read-only: cgroup v2's one hierarchy, or each of v1's (the tmpfs that holds those is the container's own).
  const v2 = (await run('plain', 'test -e /sys/fs/cgroup/cgroup.controllers && echo v2')).stdout === 'v2';
  const write = await run('plain', v2 ? 'mkdir /sys/fs/cgroup/x' : 'mkdir /sys/fs/cgroup/pids/x || mkdir /sys/fs/cgroup/memory/x');
  t.not(write.exitCode, 0);
  t.regex(write.stderr, /Read-only file system/);

  // Masked: containerd's list, /proc/interrupts among them, empty to the container.
  for (const p of ['/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/timer_list'].filter(
    (p) => p === '/proc/interrupts' || existsSync(p),
  )) {
    t.is((await run('plain', `wc -c < ${p}`)).stdout, '0', p);
  }
  t.notRegex(await readFile('/proc/interrupts', 'utf8'), /^$/, 'the host has interrupts to hide');
});

test('NSPOD_PIDS_LIMIT and the pidsLimit option set the default, 0 none; a bad annotation is refused naming it', async (t) => {
  const { pod } = await testPod(t, { containers: [sleeper('a')] }, { pidsLimit: 0 });
  const r = await pod.exec('a', ['sh', '-c', firstOf('/sys/fs/cgroup/pids.max', '/sys/fs/cgroup/pids/pids.max')]);
  t.is(r.stdout.trim(), 'max');
  const e = await t.throwsAsync(testPod(t, { annotations: { 'nspod.io/pids-limit': 'lots' }, containers: [sleeper('a')] }));
  t.regex(e!.message, /^annotations\["nspod\.io\/pids-limit"\]: "lots" must be a whole number of processes/);
});

test('a readOnly hostPath with a submount: writing into the submount fails too (rro)', async (t) => {
  const host = await tempDir(t, 'rro');
  const sub = path.join(host, 'sub');
  await execa('mkdir', ['-p', sub]);
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'nspod-rro-test', sub]);
  t.teardown(() => execa('umount', ['--lazy', sub], { reject: false }).then(() => undefined));
  const warnings: string[] = [];
  const { pod } = await testPod(
    t,
    {
      volumes: [{ name: 'host', hostPath: { path: host, type: 'Directory' } }],
      containers: [{ ...sleeper('a'), volumeMounts: [{ name: 'host', mountPath: '/host', readOnly: true }] }],
    },
    { onWarning: (w) => warnings.push(w) },
  );
  const top = await pod.exec('a', ['sh', '-c', 'echo x > /host/top']);
  t.regex(top.stderr, /Read-only file system/);
  const below = await pod.exec('a', ['sh', '-c', 'echo x > /host/sub/below']);
  if (hostSpecFacts(findExecutable(RUNTIME)!).recursiveReadOnly) {
    t.not(below.exitCode, 0, 'the submount is read-only too');
    t.regex(below.stderr, /Read-only file system/);
    t.deepEqual(warnings, []);
  } else {
    t.is(below.exitCode, 0);
    t.true(
      warnings.some((w) => /readOnly: its submounts stay writable/.test(w)),
      warnings.join('\n'),
    );
  }
});
