/** nspod for test suites: random host ports, pods that die with their owner. */
import test from 'ava';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { Pod } from '../../src/pod/pod.js';
import { gcPods } from '../../src/pod/gc.js';
import type { PodStatus } from '../../src/pod/status.js';
import { packageRoot } from '../../src/paths.js';
import { mountsUnder } from '../../src/host/mounts.js';
import { isAlive } from '../../src/host/proc.js';
import { hostPortRange, listHostPortLeases } from '../../src/network/hostports.js';
import {
  attachmentFiles,
  bridgePorts,
  httpGetEventually,
  iptablesLinesOf,
  leaseFiles,
  netTestEnv,
  networkLeftovers,
  NO_LEFTOVERS,
} from '../helpers/network.js';
import { nspod, writeManifest } from '../helpers/cli.js';
import { eventually, processesMentioning, RUNTIME, runtimeContainers, stateRoot } from '../helpers/host.js';
import { assertNoLeftovers } from '../helpers/leftovers.js';

/** A busybox container serving `hello from <hostname>` on 8080, published on any free host port. */
const web = (name: string) => ({
  name,
  containers: [
    {
      name: 'web',
      image: 'busybox',
      command: ['sh', '-c', 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 8080 -h /www'],
      ports: [{ containerPort: 8080, hostPort: 0 }],
    },
  ],
});

test.serial(
  'two pods created at once with hostPort 0 get different free ports of the range; each answers on 127.0.0.1 at its own; nspod port prints them',
  async (t) => {
    const env = await netTestEnv(t, 'testing');
    const names = [`rand-a-${process.pid}`, `rand-b-${process.pid}`];
    const pods = await Promise.all(names.map((n) => Pod.create(web(n), env.options)));
    const ports = pods.map((p) => p.hostPort(8080));
    t.not(ports[0], ports[1]);
    const range = hostPortRange(process.env.NSPOD_HOST_PORT_RANGE);
    for (const port of ports) t.true(port >= range.from && port <= range.to, `${port} in ${range.from}-${range.to}`);
    for (const [i, pod] of pods.entries()) {
      t.is(await httpGetEventually(`http://127.0.0.1:${ports[i]}/`), `hello from ${pod.name}\n`);
      // The status lists the chosen port; the record of another process (Pod.load) tells the same.
      t.deepEqual((await pod.status()).network.ports, [{ hostPort: ports[i]!, containerPort: 8080, protocol: 'tcp' }]);
      t.is((await Pod.load(pod.name, env.options)).hostPort(8080), ports[i]!);
      const all = await nspod(env.root, ['port', pod.name]);
      t.is(all.stdout, `8080/tcp -> 127.0.0.1:${ports[i]}\n`, all.stderr);
      const one = await nspod(env.root, ['port', pod.name, '8080/tcp']);
      t.is(one.stdout, `127.0.0.1:${ports[i]}\n`, one.stderr);
    }
    const missing = await nspod(env.root, ['port', pods[0]!.name, '9090']);
    t.is(missing.exitCode, 1);
    t.regex(missing.stderr, /publishes no host port for 9090\/tcp \(it publishes 8080\/tcp\)/);
    t.throws(() => pods[0]!.hostPort(8080, 'UDP'), { code: 'PORT_NOT_PUBLISHED' } as never);

    // Each port is leased host-wide to its pod's attachment until the pod goes.
    const ids = await Promise.all(pods.map(async (p) => (await p.status()).network.containerId!));
    const ips = await Promise.all(pods.map(async (p) => (await p.status()).network.podIP!));
    const leased = () => listHostPortLeases().filter((l) => ids.includes(l.lease.containerId));
    t.deepEqual(
      leased()
        .map((l) => l.file)
        .sort(),
      ports.map((p) => `tcp-${p}`).sort(),
    );
    await Promise.all(pods.map((p) => p.remove({ gracePeriodSeconds: 0 })));
    t.deepEqual(leased(), []);
    t.deepEqual(await networkLeftovers(env, ids, ips), NO_LEFTOVERS);
  },
);

/** Starts test/fixtures/pod-owner.ts, which creates the pod and waits; resolves with the child and the pod's status. */
async function ownerProcess(spec: object, options: object) {
  const child = execa(
    'node',
    ['--import=tsx', path.join(packageRoot, 'test/fixtures/pod-owner.ts'), JSON.stringify(spec), JSON.stringify(options)],
    {
      reject: false,
      cwd: packageRoot,
      stdin: 'ignore',
    },
  );
  let out = '';
  const status = await new Promise<PodStatus>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += String(d);
      const line = /^created (.*)$/m.exec(out);
      if (line) resolve(JSON.parse(line[1]!) as PodStatus);
    });
    void child.then((r) => reject(new Error(`the owner exited before it created the pod: ${r.stderr}`)));
  });
  return { child, status };
}

test.serial(
  "removeWhen 'owner-exits': the owner is killed with SIGKILL, and within 5 s nothing of its pod is left; a pod whose owner lives is untouched",
  async (t) => {
    const env = await netTestEnv(t, 'testing');
    const doomedName = `owned-${process.pid}`;
    const { child, status } = await ownerProcess(web(doomedName), { ...env.options, runtime: RUNTIME, removeWhen: 'owner-exits' });
    t.teardown(() => child.kill('SIGKILL'));
    // This process owns the other one, and lives on.
    const kept = await Pod.create(web(`kept-${process.pid}`), { ...env.options, runtime: RUNTIME, removeWhen: 'owner-exits' });
    const keptStatus = await kept.status();
    t.is(await httpGetEventually(`http://127.0.0.1:${status.network.ports[0]!.hostPort}/`), `hello from ${doomedName}\n`);
    const pids = [status.pause!.pid, ...status.containers.map((c) => c.pid!)];

    child.kill('SIGKILL');
    await child;
    const dir = path.join(env.root, 'pods', doomedName);
    await eventually(() => !existsSync(dir) || undefined, 5000, `pod ${doomedName} to be removed after its owner was killed`);
    await eventually(async () => (await processesMentioning(dir)).length === 0 || undefined, 5000, 'its processes to end');
    t.deepEqual(pids.filter(isAlive), [], 'no process of the pod');
    t.deepEqual(mountsUnder(dir), [], 'no mount of the pod');
    const containers = await runtimeContainers(path.join(env.root, 'runtime', RUNTIME));
    t.deepEqual(
      containers.filter((id) => id.startsWith(doomedName)),
      [],
      'no runtime container of the pod',
    );
    t.deepEqual(await iptablesLinesOf('nspod', [status.network.containerId!], [status.network.podIP!]), [], 'no rule of the pod');
    // What is left on the network is the kept pod's: one veth, one lease, one attachment.
    t.is((await bridgePorts(env.bridge)).length, 1);
    t.is((await leaseFiles(env.root)).length, 1);
    t.deepEqual(await attachmentFiles(env.root), [`${keptStatus.network.containerId}.json`]);
    t.deepEqual(
      listHostPortLeases().filter((l) => l.lease.containerId === status.network.containerId),
      [],
    );

    const again = await kept.status();
    t.is(again.phase, 'Running');
    t.true(again.pause!.alive);
    t.is(await httpGetEventually(`http://127.0.0.1:${kept.hostPort(8080)}/`), `hello from ${kept.name}\n`);
    await kept.remove({ gracePeriodSeconds: 0 });
    t.deepEqual(await networkLeftovers(env, [keptStatus.network.containerId!], [keptStatus.network.podIP!]), NO_LEFTOVERS);
    await assertNoLeftovers(t, env.root);
  },
);

test('nspod run -d --owner PID: the pods go when that process exits; gc removes a pod whose owner is gone when nobody watched', async (t) => {
  const root = await stateRoot(t, 'owner');
  const owner = execa('sleep', ['3600'], { reject: false });
  t.teardown(() => owner.kill('SIGKILL'));
  const name = `cli-owned-${process.pid}`;
  const manifest = await writeManifest(
    root,
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n  - name: c\n    image: busybox\n    command: [sleep, "3600"]\n`,
  );
  const run = await nspod(root, ['run', '-d', '--network', 'none', '--owner', String(owner.pid), manifest]);
  t.is(run.exitCode, 0, run.stderr);
  t.is(run.stdout, `${name}\n`);
  const bad = await nspod(root, ['run', '-d', '--network', 'none', '--owner', '999999999', manifest]);
  t.is(bad.exitCode, 1);
  t.regex(bad.stderr, /owner: no running process 999999999/);
  owner.kill('SIGKILL');
  await owner;
  await eventually(() => !existsSync(path.join(root, 'pods', name)) || undefined, 5000, `pod ${name} to go with its owner`);
  await assertNoLeftovers(t, root, { pod: name });

  // When the watch is cut short (the pause's shim killed), gc removes the pod once its owner is gone.
  const owner2 = execa('sleep', ['3600'], { reject: false });
  t.teardown(() => owner2.kill('SIGKILL'));
  const pod = await Pod.create(
    { name: `gc-owned-${process.pid}`, network: 'none', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] },
    { root, runtime: RUNTIME, removeWhen: 'owner-exits', owner: owner2.pid! },
  );
  const pausePid = (await pod.status()).pause!.pid;
  const shim = Number((await readFile(`/proc/${pausePid}/stat`, 'utf8')).split(') ')[1]!.split(' ')[1]);
  process.kill(shim, 'SIGKILL');
  owner2.kill('SIGKILL');
  await owner2;
  t.true(existsSync(pod.dir), 'nobody watched: the pod is still there');
  const report = await gcPods({ root, runtime: RUNTIME });
  t.deepEqual(
    report.removed.filter((e) => e.reason === 'owner-gone'),
    [{ kind: 'state-dir', what: pod.dir, pod: pod.name, reason: 'owner-gone' }],
  );
  await assertNoLeftovers(t, root);
});

test.serial('examples/testing: the node:test and the ava suite each start their service pod, pass, and leave nothing', async (t) => {
  const env = await netTestEnv(t, 'testing');
  const childEnv = {
    NSPOD_ROOT: env.root,
    NSPOD_RUNTIME: RUNTIME,
    NSPOD_NETWORK: 'default',
    NSPOD_BRIDGE: env.bridge,
    NSPOD_POD_SUBNET: env.podSubnet,
    NSPOD_IPAM_DIR: env.ipamDataDir,
  };
  const suites = [
    [process.execPath, ['--import=tsx', '--test', 'examples/testing/node-test.test.ts']],
    [path.join(packageRoot, 'node_modules', '.bin', 'ava'), ['examples/testing/ava.test.ts']],
  ] as const;
  for (const [bin, args] of suites) {
    const r = await execa(bin, [...args], { cwd: packageRoot, env: childEnv, reject: false, stdin: 'ignore' });
    t.is(r.exitCode, 0, `${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
    t.regex(`${r.stdout}${r.stderr}`, /the service answers on its random host port/);
  }
  t.deepEqual(await Pod.list({ root: env.root }), []);
  t.deepEqual(await attachmentFiles(env.root), []);
  await assertNoLeftovers(t, env.root);
});
