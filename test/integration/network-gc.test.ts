import test from 'ava';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { Pod } from '../../src/pod/pod.js';
import { detachPodNetwork, isPinned } from '../../src/network/attachment.js';
import { gcNetworks } from '../../src/pod/gc.js';
import { isAlive } from '../../src/host/proc.js';
import { eventually, RUNTIME, runtimeContainers } from '../helpers/host.js';
import {
  attachmentFiles,
  bridgePorts,
  httpGetEventually,
  iptablesLinesOf,
  leaseFiles,
  netTestEnv,
  networkLeftovers,
  NO_LEFTOVERS,
  webContainer,
} from '../helpers/network.js';

const podModule = fileURLToPath(new URL('../../src/pod/pod.ts', import.meta.url));

test('kill -9 of the pause after ADD, then remove: everything is released; a second DEL succeeds too', async (t) => {
  const env = await netTestEnv(t, 'gcKillPause');
  const pod = await Pod.create(
    { name: 'victim', containers: [webContainer('web', [{ containerPort: 80, hostPort: 18200 }])] },
    env.options,
  );
  const s = await pod.status();
  t.is(await httpGetEventually('http://127.0.0.1:18200/'), 'hello from victim\n');
  process.kill(s.pause!.pid, 'SIGKILL');
  await eventually(() => (isAlive(s.pause!.pid) ? undefined : true), 5000, 'the pause to die');
  t.is((await pod.status()).phase, 'Failed');
  // The pin keeps the netns (and so the pod's eth0) alive for DEL.
  t.true(isPinned(path.join(s.dir, 'netns')));
  const attachment = (await (
    await import('../../src/host/files.js')
  ).readJson<{ network?: import('../../src/network/attachment.js').NetworkAttachment }>(path.join(s.dir, 'pod.json')))!.network!;
  await pod.remove({ gracePeriodSeconds: 0 });
  t.deepEqual(await networkLeftovers(env, [s.network.containerId!], [s.network.podIP!]), NO_LEFTOVERS);
  // DEL again, from the cached attachment, with the netns gone: plugins find nothing and say so without failing.
  t.true(await detachPodNetwork(env.root, attachment.containerId, attachment));
  t.deepEqual(await gcNetworks({ root: env.root }), []);
});

test('a crash between ADD and the end of create leaves an attachment that gc releases', async (t) => {
  const env = await netTestEnv(t, 'gcCrash');
  // The child creates the pod and is SIGKILLed by the test hook right after CNI ADD.
  const script = `const { Pod } = await import(${JSON.stringify(podModule)});
await Pod.create({ name: 'crashed', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], ports: [{ containerPort: 80, hostPort: 18210 }] }] }, ${JSON.stringify(env.options)});
console.log('create returned');`;
  const child = await execa('node', ['--import=tsx', '--input-type=module', '-e', script], {
    reject: false,
    env: { NSPOD_TEST_CRASH_AT: 'after-cni-add' },
    timeout: 60_000,
  });
  t.is(child.signal, 'SIGKILL', `${child.stdout}\n${child.stderr}`);
  // What the crash left: the intent, a pinned netns, a veth, a lease, the pause container.
  const dir = path.join(env.root, 'pods', 'crashed');
  t.is((await attachmentFiles(env.root)).length, 1);
  t.true(isPinned(path.join(dir, 'netns')));
  t.is((await bridgePorts(env.bridge)).length, 1);
  t.is((await leaseFiles(env.root)).length, 1);
  const containerId = (await attachmentFiles(env.root))[0]!.replace(/\.json$/, '');
  // The ADD result was never saved: the firewall plugin's rules are keyed by the pod's address, which DEL must rebuild.
  const leased = await leaseFiles(env.root);
  t.true(
    (await iptablesLinesOf('nspod', [], leased)).some((l) => l.includes(`-s ${leased[0]}/32 -j ACCEPT`)),
    'firewall rule of the half-made pod',
  );

  const released = await gcNetworks({ root: env.root });
  t.deepEqual(released, [{ containerId, pod: 'crashed', reason: 'half-made' }]);
  const left = await networkLeftovers(env, [containerId], leased);
  t.deepEqual({ ...left, containers: [] }, NO_LEFTOVERS);
  // gc is idempotent.
  t.deepEqual(await gcNetworks({ root: env.root }), []);
  // The half-made pod itself is removed as any pod is; then nothing at all remains.
  await (await Pod.load('crashed', { root: env.root })).remove({ gracePeriodSeconds: 0 });
  t.deepEqual(await runtimeContainers(path.join(env.root, 'runtime', RUNTIME)), []);
  t.deepEqual(await networkLeftovers(env, [containerId], leased), NO_LEFTOVERS);
});

test('gc keeps the attachment of a live pod; stop releases it', async (t) => {
  const env = await netTestEnv(t, 'gcLive');
  const live = await Pod.create({ name: 'live', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] }, env.options);
  t.deepEqual(await gcNetworks({ root: env.root }), []);
  t.is((await attachmentFiles(env.root)).length, 1);
  const s = await live.status();
  await live.stop({ gracePeriodSeconds: 0 });
  t.deepEqual(await attachmentFiles(env.root), []);
  await live.remove();
  t.deepEqual(await networkLeftovers(env, [s.network.containerId!], [s.network.podIP!]), NO_LEFTOVERS);
});
