import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { Pod } from '../../src/pod/pod.js';
import { detachPodNetwork, isPinned } from '../../src/network/attachment.js';
import { bridgeRecordFile, bridgeUsersDir } from '../../src/network/bridges.js';
import { defaultIpamDataDir } from '../../src/network/config.js';
import { localnetChain } from '../../src/network/localnet.js';
import { gcNetworks, gcPods } from '../../src/pod/gc.js';
import { nspod, writeManifest } from '../helpers/cli.js';
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

const sleeper = { name: 'c', image: 'busybox', command: ['sleep', '3600'] };

/** The bridge has had no attachment join or leave it for two minutes (gc leaves a bridge alone for its first idle minute). */
async function idleForMinutes(bridge: string): Promise<void> {
  const past = new Date(Date.now() - 120_000);
  await utimes(bridgeUsersDir(bridge), past, past);
}

/** Lines of iptables-save that name the bridge or its localnet chain. */
async function bridgeRules(bridge: string): Promise<string[]> {
  const { stdout } = await execa('iptables-save');
  return stdout.split('\n').filter((l) => new RegExp(`\\b${bridge}\\b`).test(l) || l.includes(localnetChain(bridge)));
}

const ifindex = (bridge: string) => Number(readFileSync(`/sys/class/net/${bridge}/ifindex`, 'utf8'));

test('gc removes the bridge nspod made once no pod uses it, with its host-wide lease dir and its iptables rules; while a pod is on it, it stays', async (t) => {
  const env = await netTestEnv(t, 'bridgeGc');
  // The host-wide lease dir (the default's place: its name is this slot's bridge and subnet, no other test's).
  const leases = defaultIpamDataDir(env.bridge, env.podSubnet);
  t.teardown(() => rm(leases, { recursive: true, force: true }));
  const options = { ...env.options, ipamDataDir: leases };
  t.false(existsSync(`/sys/class/net/${env.bridge}`), 'the slot starts without its bridge');
  await Pod.create({ name: 'a', containers: [webContainer('web', [{ containerPort: 80, hostPort: 18220 }])] }, options);
  await Pod.create({ name: 'b', containers: [sleeper] }, options);
  t.is(JSON.parse(readFileSync(bridgeRecordFile(env.bridge), 'utf8')).ifindex, ifindex(env.bridge), 'nspod recorded the bridge it made');
  t.is(await httpGetEventually('http://127.0.0.1:18220/'), 'hello from a\n');
  t.true((await bridgeRules(env.bridge)).length > 0, 'the localnet chain of the bridge');

  t.is((await nspod(env.root, ['rm', '-f', 'a'])).exitCode, 0);
  await idleForMinutes(env.bridge);
  const kept = await nspod(env.root, ['gc']);
  t.is(kept.exitCode, 0, kept.stderr);
  t.notRegex(kept.stdout, /bridge|lease dir/, 'pod b is still on it');
  t.true(existsSync(`/sys/class/net/${env.bridge}`));
  t.true(existsSync(path.join(leases, 'nspod')));

  t.is((await nspod(env.root, ['rm', '-f', 'b'])).exitCode, 0);
  await idleForMinutes(env.bridge);
  // The gc of a state root none of whose pods were on it leaves it to this root's gc.
  const other = await mkdtemp(path.join(os.tmpdir(), 'nspod-other-root-'));
  t.teardown(() => rm(other, { recursive: true, force: true }));
  t.deepEqual(await gcPods({ root: other }), { removed: [], failed: [] });
  t.true(existsSync(`/sys/class/net/${env.bridge}`));
  const gc = await nspod(env.root, ['gc']);
  t.is(gc.exitCode, 0, gc.stderr);
  t.regex(gc.stdout, new RegExp(`^removed bridge ${env.bridge} \\(unused\\)$`, 'm'));
  t.regex(gc.stdout, new RegExp(`^removed lease dir ${path.join(leases, 'nspod')} \\(unused\\)$`, 'm'));
  t.false(existsSync(`/sys/class/net/${env.bridge}`), 'the bridge is gone');
  t.false(existsSync(leases), 'its lease dir is gone');
  t.deepEqual(await bridgeRules(env.bridge), [], 'no iptables rule names the bridge or its chain');
  t.false(existsSync(bridgeRecordFile(env.bridge)));
  t.false(existsSync(bridgeUsersDir(env.bridge)));
  t.notRegex((await nspod(env.root, ['gc'])).stdout, /bridge/, 'gc is idempotent');
});

test("gc never removes a bridge made by hand, with the same config, no pod on it: one there before the first pod, or one made after nspod's went", async (t) => {
  const env = await netTestEnv(t, 'bridgeByHand');
  const byHand = async () => {
    await execa('ip', ['link', 'add', env.bridge, 'type', 'bridge']);
    await execa('ip', ['link', 'set', env.bridge, 'up']);
  };
  const cycle = async (name: string) => {
    const pod = await Pod.create({ name, containers: [sleeper] }, env.options);
    await pod.remove({ gracePeriodSeconds: 0 });
    await idleForMinutes(env.bridge);
  };
  const bridgeEntries = async () => (await gcPods({ root: env.root })).removed.filter((e) => e.kind === 'bridge' || e.kind === 'lease-dir');

  await byHand();
  const made = ifindex(env.bridge);
  await cycle('first');
  t.false(existsSync(bridgeRecordFile(env.bridge)), 'nspod did not make it, and does not say it did');
  t.deepEqual(await bridgeEntries(), []);
  t.is(ifindex(env.bridge), made, 'the bridge made by hand is still there');

  // nspod makes it this time; then it is deleted and made again by hand.
  await execa('ip', ['link', 'del', env.bridge]);
  await cycle('second');
  t.true(existsSync(bridgeRecordFile(env.bridge)), 'nspod recorded the bridge it made');
  await execa('ip', ['link', 'del', env.bridge]);
  await byHand();
  const again = ifindex(env.bridge);
  t.deepEqual(await bridgeEntries(), []);
  t.is(ifindex(env.bridge), again, 'the one made by hand after it is still there');
  t.false(existsSync(bridgeRecordFile(env.bridge)), 'the record of the bridge nspod made, which went, is forgotten');
});

test('a create on a bridge gc is deleting waits for it (the bridge lock), then makes the bridge anew and records it; its pod is reachable', async (t) => {
  const env = await netTestEnv(t, 'bridgeRace');
  const cliEnv = { NSPOD_NETWORK: 'default', NSPOD_BRIDGE: env.bridge, NSPOD_POD_SUBNET: env.podSubnet, NSPOD_IPAM_DIR: env.ipamDataDir };
  await (await Pod.create({ name: 'first', containers: [sleeper] }, env.options)).remove({ gracePeriodSeconds: 0 });
  const old = ifindex(env.bridge);
  await idleForMinutes(env.bridge);
  const breaks = path.join(env.root, 'breaks');
  const parked = async (step: string) =>
    await eventually(
      async () => (existsSync(breaks) ? (await readdir(breaks)).find((f) => f.startsWith(`${step}.`)) : undefined),
      30_000,
      `a process parked at ${step}`,
    );
  const release = (file: string) => rm(path.join(breaks, file));
  // A parked process goes on once its break file is gone: whatever happens, none is left parked.
  t.teardown(() => rm(breaks, { recursive: true, force: true }));
  // The create parks right before it takes the bridge's lock to join; gc parks holding it, its verdict made.
  const manifest = await writeManifest(
    env.root,
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: late\nspec:\n  terminationGracePeriodSeconds: 0\n  containers:\n    - name: web\n      image: busybox\n      command: ["sh", "-c", "mkdir -p /www && echo hello from late > /www/index.html && exec httpd -f -p 80 -h /www"]\n`,
  );
  const run = nspod(env.root, ['run', '-d', manifest], {
    env: { ...cliEnv, NSPOD_TEST_BREAK_AT: 'bridge-join', NSPOD_TEST_BREAK_DIR: breaks },
  });
  const joining = await parked('bridge-join');
  const gc = nspod(env.root, ['gc'], {
    env: { ...cliEnv, NSPOD_TEST_BREAK_AT: `bridge-gc-decided-${env.bridge}`, NSPOD_TEST_BREAK_DIR: breaks },
  });
  const deciding = await parked(`bridge-gc-decided-${env.bridge}`);
  await release(joining); // the create now waits for the lock gc holds
  await release(deciding);
  const [ran, collected] = await Promise.all([run, gc]);
  t.is(collected.exitCode, 0, collected.stderr);
  t.regex(collected.stdout, new RegExp(`^removed bridge ${env.bridge} \\(unused\\)$`, 'm'));
  t.is(ran.exitCode, 0, ran.stderr);
  const now = ifindex(env.bridge);
  t.not(now, old, 'the bridge was deleted and made again');
  t.is(JSON.parse(readFileSync(bridgeRecordFile(env.bridge), 'utf8')).ifindex, now, 'and recorded as the one nspod made');
  const s = await (await Pod.load('late', { root: env.root })).status();
  t.is(await httpGetEventually(`http://${s.network.podIP!}/`), 'hello from late\n');
});
