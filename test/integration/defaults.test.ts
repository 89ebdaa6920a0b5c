import test from 'ava';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { hostSpecFacts } from '../../src/runtime/features.js';
import { findExecutable } from '../../src/host/executables.js';
import { RUNTIME, eventually, stateRoot } from '../helpers/host.js';
import { nspod, writeManifest } from '../helpers/cli.js';
import type { EffectiveSecurity } from '../../src/pod/effective.js';
import { sleeper, testPod } from '../helpers/pods.js';
import { tempDir, toolboxImageArchive } from '../helpers/images.js';

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
      containers: [
        {
          ...sleeper('a'),
          volumeMounts: [
            { name: 'host', mountPath: '/host', readOnly: true },
            // Kubernetes' Disabled: the old read-only bind, whose submounts stay writable.
            { name: 'host', mountPath: '/plain', readOnly: true, recursiveReadOnly: 'Disabled' },
          ],
        },
      ],
    },
    { onWarning: (w) => warnings.push(w) },
  );
  const top = await pod.exec('a', ['sh', '-c', 'echo x > /host/top']);
  t.regex(top.stderr, /Read-only file system/);
  const plain = await pod.exec('a', ['sh', '-c', 'echo x > /plain/sub/plain && cat /host/sub/plain']);
  t.is(plain.stdout.trim(), 'x', plain.stderr);
  t.regex((await pod.exec('a', ['sh', '-c', 'echo x > /plain/top'])).stderr, /Read-only file system/);
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

/** The docs' "Configure Quality of Service for Pods" first example, as published. */
const QOS_POD = `apiVersion: v1
kind: Pod
metadata:
  name: qos-demo
  namespace: qos-example
spec:
  containers:
  - name: qos-demo-ctr
    image: nginx
    resources:
      limits:
        memory: "200Mi"
        cpu: "700m"
      requests:
        memory: "200Mi"
        cpu: "700m"
`;

test("the docs' qos-pod, unedited, is Guaranteed: ps -o json and inspect say so, and inspect shows what each container runs with", async (t) => {
  const root = await stateRoot(t);
  const work = await tempDir(t, 'qos');
  const imageRoot = path.join(work, 'images');
  const cli = (args: string[]) => nspod(root, ['--image-root', imageRoot, ...args]);
  // A stand-in for nginx, made here: the manifest runs without a registry.
  const nginx = await toolboxImageArchive(work, 'nginx', { entrypoint: ['sleep', '3600'] });
  t.is((await cli(['image', 'import', 'nginx', nginx])).exitCode, 0);
  const file = await writeManifest(work, QOS_POD);
  const run = await cli(['run', '-d', file]);
  t.is(run.exitCode, 0, run.stderr);
  t.teardown(async () => void (await cli(['rm', '-f', 'qos-demo'])));
  const ps = JSON.parse((await cli(['ps', '-o', 'json'])).stdout) as { name: string; qosClass: string }[];
  t.is(ps.find((p) => p.name === 'qos-demo')?.qosClass, 'Guaranteed');
  const inspect = JSON.parse((await cli(['inspect', 'qos-demo'])).stdout) as {
    status: { qosClass: string; containers: { name: string; pid: number }[] };
    security: EffectiveSecurity[];
  };
  t.is(inspect.status.qosClass, 'Guaranteed');
  const floor = hostSpecFacts(findExecutable(RUNTIME)!).oomScoreAdjMin;
  const [sec] = inspect.security;
  t.like(sec, {
    container: 'qos-demo-ctr',
    seccomp: 'RuntimeDefault',
    noNewPrivileges: false,
    privileged: false,
    user: { uid: 0, gid: 0, groups: [0] },
    oomScoreAdj: Math.max(-997, floor),
    pidsLimit: 2048,
    readOnlyRootFilesystem: false,
    cgroupNamespace: true,
  });
  t.is(sec!.capabilities.length, 14);
  t.true(sec!.maskedPaths.includes('/proc/interrupts'));
  const pid = inspect.status.containers[0]!.pid;
  t.is(
    (await readFile(`/proc/${pid}/oom_score_adj`, 'utf8')).trim(),
    String(Math.max(-997, floor)),
    'what inspect says is what it runs with',
  );
  // Where nspod may not go below its own oom_score_adj, the pod said so.
  if (floor > -997) t.regex(run.stderr, /warning: pod qos-demo: qosClass Guaranteed: its containers get oom_score_adj/);
  else t.notRegex(run.stderr, /oom_score_adj/);
});

test('what takes isolation away is said on stderr, one line each, once per pod, and recorded as events', async (t) => {
  const root = await stateRoot(t);
  const file = await writeManifest(
    root,
    `apiVersion: v1
kind: Pod
metadata:
  name: risky-${process.pid}
spec:
  restartPolicy: Never
  hostNetwork: true
  volumes:
  - name: proc
    hostPath: {path: /proc}
  containers:
  - name: admin
    image: busybox
    command: ["sh", "-c", "exit 1"]
    volumeMounts:
    - {name: proc, mountPath: /host/proc, readOnly: true}
  - name: mounter
    image: busybox
    command: ["sleep", "3600"]
    securityContext:
      capabilities:
        add: ["SYS_ADMIN"]
`,
  );
  const run = await nspod(root, ['run', '-d', file]);
  t.is(run.exitCode, 0, run.stderr);
  t.teardown(async () => void (await nspod(root, ['rm', '-f', `risky-${process.pid}`])));
  const warnings = run.stderr.split('\n').filter((l) => l.startsWith(`nspod: warning: pod risky-${process.pid}: `));
  t.is(warnings.length, 3, run.stderr);
  t.regex(warnings[0]!, /hostNetwork: true: the pod shares the host's network namespace/);
  t.regex(warnings[1]!, /volumes\[0\]\.hostPath\.path: \/proc gives the containers that mount it the host's \/proc/);
  t.regex(warnings[2]!, /containers\[1\] \(mounter\): capabilities\.add SYS_ADMIN: /);
  // One container exits and is not started again; nothing warns a second time.
  const events = await eventually(
    async () => {
      const all = JSON.parse((await nspod(root, ['events', `risky-${process.pid}`, '-o', 'json'])).stdout) as { reason: string }[];
      return all.some((e) => e.reason === 'Exited') ? all : undefined;
    },
    10_000,
    'the exit of admin',
  );
  t.is(events.filter((e) => e.reason === 'SecurityRisk').length, 3);
  const sec = JSON.parse((await nspod(root, ['inspect', `risky-${process.pid}`])).stdout).security as EffectiveSecurity[];
  t.like(
    sec.find((s) => s.container === 'mounter'),
    { privileged: false, seccomp: 'RuntimeDefault' },
  );
  t.true(sec.find((s) => s.container === 'mounter')!.capabilities.includes('CAP_SYS_ADMIN'));
  t.false(sec.find((s) => s.container === 'admin')!.capabilities.includes('CAP_SYS_ADMIN'));
});
