import test from 'ava';
import { existsSync } from 'node:fs';
import { Pod } from '../../src/pod/pod.js';
import { isNspodError } from '../../src/errors.js';
import { isAlive } from '../../src/host/proc.js';
import { mountsUnder } from '../../src/host/mounts.js';
import { RUNTIME, eventually, nsInode, processesInPidNamespace, stateRoot } from '../helpers/host.js';
import { podName, sleeper, testPod, webServer } from '../helpers/pods.js';
import { assertNoLeftovers } from '../helpers/leftovers.js';
import { tempDir } from '../helpers/images.js';

for (const share of [false, true]) {
  test(`every container joins the pause's net, ipc and uts namespaces; pid ${share ? 'shared' : 'private'}; mnt its own`, async (t) => {
    const { pod } = await testPod(t, { shareProcessNamespace: share, containers: [sleeper('a'), sleeper('b')] });
    const status = await pod.status();
    const pause = status.pause!;
    t.true(pause.alive);
    for (const c of status.containers) {
      t.is(c.state, 'running');
      for (const ns of ['net', 'ipc', 'uts'] as const) t.is(await nsInode(c.pid!, ns), pause.namespaces[ns].inode, `${c.name} ${ns}`);
      if (share) t.is(await nsInode(c.pid!, 'pid'), pause.namespaces.pid.inode);
      else t.not(await nsInode(c.pid!, 'pid'), pause.namespaces.pid.inode);
      t.not(await nsInode(c.pid!, 'mnt'), pause.namespaces.mnt.inode);
      t.not(await nsInode(c.pid!, 'mnt'), await nsInode('self', 'mnt'));
    }
    const [a, b] = status.containers;
    t.not(await nsInode(a!.pid!, 'mnt'), await nsInode(b!.pid!, 'mnt'));
    // The recorded paths are the pause's own.
    t.is(pause.namespaces.net.path, `/proc/${pause.pid}/ns/net`);
    t.is(pause.namespaces.net.inode, await nsInode(pause.pid, 'net'));
    t.not(pause.namespaces.net.inode, await nsInode('self', 'net'));
  });
}

test('a server in one container is reached from another over 127.0.0.1', async (t) => {
  const { pod } = await testPod(t, { containers: [webServer('web', 8080), sleeper('client')] });
  const got = await eventually(
    async () => {
      const r = await pod.exec('client', ['wget', '-qO-', 'http://127.0.0.1:8080/']);
      return r.exitCode === 0 ? r : undefined;
    },
    5000,
    'httpd to answer',
  );
  t.is(got.stdout.trim(), 'hello from nspod');
  // The host's own loopback is another namespace: nothing listens there for this pod.
  const host = await pod.exec('web', ['hostname']);
  t.is(host.stdout.trim(), pod.name);
});

test('shared pid namespace: ps shows /pause as PID 1 and the other container; orphans are reaped by pause', async (t) => {
  const { pod } = await testPod(t, { shareProcessNamespace: true, containers: [sleeper('a'), sleeper('b')] });
  const ps = await pod.exec('a', ['ps', '-o', 'pid,args']);
  const lines = ps.stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.trim());
  t.true(
    lines.some((l) => /^1 \/pause$/.test(l)),
    ps.stdout,
  );
  t.true(lines.filter((l) => l.endsWith('sleep 3600')).length >= 2, ps.stdout);

  // A process whose parent exits at once: the kernel hands it to the pid namespace's init, the pause.
  const status = await pod.status();
  const pausePid = status.pause!.pid;
  await pod.exec('b', ['sh', '-c', 'sh -c "sleep 300 >/dev/null 2>&1 &"']);
  const orphan = await eventually(
    async () =>
      (await processesInPidNamespace(status.pause!.namespaces.pid.inode)).find((p) => p.comm === 'sleep' && p.args === 'sleep 300'),
    15000,
    'the orphan',
  );
  t.is(orphan.ppid, pausePid, 'the orphan was handed to the pause');
  // When it dies, only its parent can collect it: no zombie means the pause reaped it.
  process.kill(orphan.pid, 'SIGKILL');
  await eventually(() => (existsSync(`/proc/${orphan.pid}`) ? undefined : true), 10000, 'the orphan to be reaped');
  const zombies = (await processesInPidNamespace(status.pause!.namespaces.pid.inode)).filter((p) => p.state === 'Z');
  t.deepEqual(zombies, []);
});

test('killing an app leaves the pause and its namespaces; the restarted app joins the same network namespace and serves again', async (t) => {
  // Never: this test restarts by hand; the supervisor's own restarts are tested below.
  const { pod } = await testPod(t, { restartPolicy: 'Never', containers: [webServer('web', 8081), sleeper('client')] });
  const before = await pod.status();
  const web = before.containers.find((c) => c.name === 'web')!;
  process.kill(web.pid!, 'SIGKILL');
  const exited = await eventually(
    async () => {
      const s = await pod.status();
      const w = s.containers.find((c) => c.name === 'web')!;
      return w.state === 'exited' ? s : undefined;
    },
    5000,
    'the shim to record the exit',
  );
  const w = exited.containers.find((c) => c.name === 'web')!;
  t.is(w.exitCode, 137);
  t.is(w.signal, 9);
  t.true(exited.pause!.alive);
  t.is(exited.phase, 'Running');
  t.is(await nsInode(before.pause!.pid, 'net'), before.pause!.namespaces.net.inode);

  await pod.restartContainer('web');
  const after = await pod.status();
  const web2 = after.containers.find((c) => c.name === 'web')!;
  t.is(web2.state, 'running');
  t.is(web2.restartCount, 1);
  t.not(web2.pid, web.pid);
  t.is(await nsInode(web2.pid!, 'net'), before.pause!.namespaces.net.inode);
  const got = await eventually(
    async () => {
      const r = await pod.exec('client', ['wget', '-qO-', 'http://127.0.0.1:8081/']);
      return r.exitCode === 0 ? r : undefined;
    },
    5000,
    'the restarted httpd to answer',
  );
  t.is(got.stdout.trim(), 'hello from nspod');
});

test('stop + remove leave no container, mount, process or state dir', async (t) => {
  const root = await stateRoot(t);
  const name = podName();
  const pod = await Pod.create(
    { name, shareProcessNamespace: true, containers: [webServer('web', 8082), sleeper('b')] },
    { root, runtime: RUNTIME },
  );
  const status = await pod.status();
  const pids = [status.pause!.pid, ...status.containers.map((c) => c.pid!)];
  t.true(pids.every(isAlive));
  t.true(mountsUnder(root).length >= 2, 'an overlay per container while running');
  await pod.stop({ gracePeriodSeconds: 5 });
  t.is((await pod.status()).phase, 'Stopped');
  await pod.remove();
  await assertNoLeftovers(t, root, { pod: name, pids: pids });
});

test('a pod whose second container cannot start fails naming it, and leaves nothing behind', async (t) => {
  const root = await stateRoot(t);
  const name = podName();
  const error = await t.throwsAsync(
    Pod.create(
      { name, containers: [sleeper('good'), { name: 'broken', image: 'busybox', command: ['/no/such/program'] }] },
      { root, runtime: RUNTIME },
    ),
  );
  t.true(isNspodError(error));
  t.regex(error!.message, /container broken failed to start/);
  t.regex(error!.message, /\/no\/such\/program/);
  await assertNoLeftovers(t, root, { pod: name, pids: [] });
  // The name is free again.
  const pod = await Pod.create({ name, containers: [sleeper('good')] }, { root, runtime: RUNTIME });
  await pod.remove({ gracePeriodSeconds: 0 });
  await assertNoLeftovers(t, root, { pod: name, pids: [] });
});

test('a missing rootfs or a duplicate name is refused before anything is created', async (t) => {
  const root = await stateRoot(t);
  const name = podName();
  const missing = await t.throwsAsync(
    Pod.create({ name, containers: [{ name: 'a', image: '/no/such/rootfs', command: ['true'] }] }, { root, runtime: RUNTIME }),
  );
  t.is((missing as { code?: string }).code, 'IMAGE_NOT_FOUND');
  t.false(existsSync(`${root}/pods/${name}`));
  const badName = await t.throwsAsync(Pod.create({ name: 'Bad_Name', containers: [sleeper('a')] }, { root, runtime: RUNTIME }));
  t.regex(badName!.message, /^name: "Bad_Name" must consist of lowercase/);
  const pod = await Pod.create({ name, containers: [sleeper('a')] }, { root, runtime: RUNTIME });
  t.teardown(() => pod.remove({ gracePeriodSeconds: 0 }));
  const dup = await t.throwsAsync(Pod.create({ name, containers: [sleeper('a')] }, { root, runtime: RUNTIME }));
  t.is((dup as { code?: string }).code, 'POD_EXISTS');
  t.true((await pod.status()).pause!.alive, 'the first pod is untouched');
});

test('a second process can load, inspect and stop a pod; await using removes it at scope end', async (t) => {
  const root = await stateRoot(t);
  const name = podName();
  let pausePid = 0;
  {
    await using pod = await Pod.create({ name, containers: [sleeper('a')] }, { root, runtime: RUNTIME });
    const other = await Pod.load(name, { root });
    const s = await other.status();
    pausePid = s.pause!.pid;
    t.is(s.phase, 'Running');
    t.deepEqual(await Pod.list({ root }), [name]);
    t.is(pod.pausePid, pausePid);
  }
  t.false(isAlive(pausePid));
  t.deepEqual(await Pod.list({ root }), []);
  await assertNoLeftovers(t, root, { pod: name, pids: [pausePid] });
});

test('the pid-reuse guard refuses to join the namespaces of a pause that died', async (t) => {
  const { pod } = await testPod(t, { containers: [sleeper('a')] });
  const status = await pod.status();
  process.kill(status.pause!.pid, 'SIGKILL');
  await eventually(() => (isAlive(status.pause!.pid) ? undefined : true), 5000, 'pause to die');
  t.is((await pod.status()).phase, 'Failed');
  const error = await t.throwsAsync(pod.restartContainer('a'));
  t.is((error as { code?: string }).code, 'PAUSE_GONE');
});

test('restartPolicy Always: the supervisor starts a killed app again by itself, in the same network namespace', async (t) => {
  process.env.NSPOD_RESTART_BACKOFF_MS = '50';
  const { pod } = await testPod(t, { containers: [webServer('web', 8083), sleeper('client')] });
  const before = await pod.status();
  const web = before.containers.find((c) => c.name === 'web')!;
  process.kill(web.pid!, 'SIGKILL');
  const after = await eventually(
    async () => {
      const s = await pod.status();
      const w = s.containers.find((c) => c.name === 'web')!;
      return w.state === 'running' && w.restartCount === 1 ? s : undefined;
    },
    15000,
    'the supervisor to restart web',
  );
  const web2 = after.containers.find((c) => c.name === 'web')!;
  t.not(web2.pid, web.pid);
  t.is(await nsInode(web2.pid!, 'net'), before.pause!.namespaces.net.inode);
  t.is(after.pause!.pid, before.pause!.pid);
  const got = await eventually(
    async () => {
      const r = await pod.exec('client', ['wget', '-qO-', 'http://127.0.0.1:8083/']);
      return r.exitCode === 0 ? r : undefined;
    },
    5000,
    'the restarted httpd to answer',
  );
  t.is(got.stdout.trim(), 'hello from nspod');
});

test('an old handle never touches a newer pod of the same name; stop and remove twice are no-ops', async (t) => {
  const root = await stateRoot(t);
  const name = podName();
  const old = await Pod.create({ name, restartPolicy: 'Never', containers: [sleeper('a')] }, { root, runtime: RUNTIME });
  await (await Pod.load(name, { root })).remove({ gracePeriodSeconds: 0 });
  const fresh = await Pod.create({ name, restartPolicy: 'Never', containers: [sleeper('a')] }, { root, runtime: RUNTIME });
  t.teardown(() => fresh.remove({ gracePeriodSeconds: 0 }));
  await old.remove({ gracePeriodSeconds: 0 });
  await old.stop();
  const status = await fresh.status();
  t.is(status.phase, 'Running');
  t.true(status.pause!.alive, 'the newer pod is untouched');
  await fresh.remove({ gracePeriodSeconds: 0 });
  await fresh.remove({ gracePeriodSeconds: 0 });
  await assertNoLeftovers(t, root, { pod: name, pids: [status.pause!.pid] });
});

test('volumes: an emptyDir is writable by a non-root user; hostPath types are checked or created before anything starts', async (t) => {
  const root = await stateRoot(t);
  // Outside the state root: a hostPath there is refused (test/integration/state-root.test.ts).
  const host = await tempDir(t, 'hostpath');
  const made = `${host}/made-by-nspod`;
  const { pod } = await testPod(
    t,
    {
      restartPolicy: 'Never',
      volumes: [
        { name: 'scratch', emptyDir: {} },
        { name: 'host', hostPath: { path: made, type: 'DirectoryOrCreate' } },
      ],
      containers: [
        {
          ...sleeper('a'),
          user: { uid: 1000, gid: 1000 },
          volumeMounts: [
            { name: 'scratch', mountPath: '/scratch' },
            { name: 'host', mountPath: '/host' },
          ],
        },
      ],
    },
    { root },
  );
  const w = await pod.exec('a', ['sh', '-c', 'id -u; echo hi > /scratch/f && cat /scratch/f']);
  t.is(w.stdout, '1000\nhi', w.stderr);
  t.true(existsSync(made), 'DirectoryOrCreate made the host directory');
  for (const [type, want] of [
    ['Directory', /hostPath \S+ is not an existing directory/],
    ['File', /is not an existing file/],
    ['', /does not exist/],
    ['Weird', /unknown type "Weird"/],
  ] as const) {
    const name = podName();
    const e = await t.throwsAsync(
      Pod.create(
        {
          name,
          volumes: [{ name: 'v', hostPath: { path: `${host}/absent`, ...(type ? { type } : {}) } }],
          containers: [{ ...sleeper('a'), volumeMounts: [{ name: 'v', mountPath: '/v' }] }],
        },
        { root, runtime: RUNTIME },
      ),
    );
    t.regex(e!.message, /volume v: /);
    t.regex(e!.message, want);
    t.false(existsSync(`${root}/pods/${name}`));
  }
});
