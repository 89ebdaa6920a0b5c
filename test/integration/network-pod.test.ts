import test from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Pod } from '../../src/pod/pod.js';
import { nsInode } from '../helpers/host.js';
import {
  attachmentFiles,
  httpGetEventually,
  leaseFiles,
  netTestEnv,
  networkLeftovers,
  NO_LEFTOVERS,
  webContainer,
} from '../helpers/network.js';

function inSubnet(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const n = (s: string) => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(n(ip) / size) === Math.floor(n(base!) / size);
}

test('a pod gets an address of the pod subnet; another pod and the host reach its server there; /etc/hosts names it', async (t) => {
  const env = await netTestEnv(t, 'podToPod');
  const a = await Pod.create({ name: 'web-a', containers: [webContainer()] }, env.options);
  // The downward API's pod IP is known only once the network is attached: the env is made after ADD.
  const ipEnv = { MY_POD_IP: { fieldRef: { fieldPath: 'status.podIP' } }, MY_POD_IPS: { fieldRef: { fieldPath: 'status.podIPs' } } };
  const b = await Pod.create(
    { name: 'client-b', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], env: ipEnv }] },
    env.options,
  );
  const sa = await a.status();
  const sb = await b.status();
  const ipA = sa.network.podIP!;
  const ipB = sb.network.podIP!;
  t.is(sa.network.mode, 'cni');
  t.is(sa.network.network, 'nspod');
  t.true(inSubnet(ipA, env.podSubnet), `${ipA} in ${env.podSubnet}`);
  t.true(inSubnet(ipB, env.podSubnet), `${ipB} in ${env.podSubnet}`);
  t.not(ipA, ipB);
  t.is((await b.exec('c', ['printenv', 'MY_POD_IP', 'MY_POD_IPS'])).stdout.trim(), `${ipB}\n${ipB}`);
  t.deepEqual(
    sa.network.routes.map((r) => r.dst),
    ['0.0.0.0/0'],
  );
  t.is(sa.network.ips[0]!.interface, 'eth0');
  // The address status reports is the one on the pod's eth0.
  t.regex((await a.exec('web', ['ip', '-o', '-4', 'addr', 'show', 'eth0'])).stdout, new RegExp(`inet ${ipA.replace(/\./g, '\\.')}/28`));

  t.is(await httpGetEventually(`http://${ipA}/`), 'hello from web-a\n');
  const fromB = await b.exec('c', ['timeout', '5', 'wget', '-qO-', `http://${ipA}/`]);
  t.is(fromB.exitCode, 0, fromB.stderr);
  t.is(fromB.stdout.trim(), 'hello from web-a');
  // The hostname resolves (through the bind-mounted /etc/hosts) to the pod's own address.
  t.regex((await a.exec('web', ['cat', '/etc/hosts'])).stdout, new RegExp(`^${ipA.replace(/\./g, '\\.')}\\tweb-a$`, 'm'));
  const self = await a.exec('web', ['timeout', '5', 'wget', '-qO-', 'http://web-a/']);
  t.is(self.stdout.trim(), 'hello from web-a', self.stderr);
  t.is((await leaseFiles(env.root)).length, 2);

  const ids = [sa.network.containerId!, sb.network.containerId!];
  t.regex(ids[0]!, /^web-a-[0-9a-f]{8}$/);
  // The leak probe sees what the pods hold while they run, so its empty answer afterwards means something.
  const during = await networkLeftovers(env, ids, [ipA, ipB]);
  t.is(during.veths.length, 2);
  t.true(during.chains.length >= 2, during.chains.join('\n'));
  t.is(during.attachments.length, 2);
  await a.remove({ gracePeriodSeconds: 0 });
  await b.remove({ gracePeriodSeconds: 0 });
  t.deepEqual(await networkLeftovers(env, ids, [ipA, ipB]), NO_LEFTOVERS);
});

test('hostNetwork: the containers are in the host netns; network none: only lo', async (t) => {
  const env = await netTestEnv(t, 'hostAndNone');
  const host = await Pod.create(
    { name: 'hostnet', hostNetwork: true, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] },
    env.options,
  );
  const hs = await host.status();
  t.is(hs.network.mode, 'host');
  t.is(hs.network.podIP, undefined);
  t.is(await nsInode(hs.containers[0]!.pid!, 'net'), await nsInode('self', 'net'));
  t.is(await nsInode(hs.pause!.pid, 'net'), await nsInode('self', 'net'));

  const none = await Pod.create(
    { name: 'nonet', network: 'none', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] },
    env.options,
  );
  const ns = await none.status();
  t.is(ns.network.mode, 'none');
  t.not(await nsInode(ns.containers[0]!.pid!, 'net'), await nsInode('self', 'net'));
  const links = (await none.exec('c', ['ip', '-o', 'link'])).stdout.split('\n').filter(Boolean);
  t.deepEqual(
    links.map((l) => l.split(':')[1]!.trim()),
    ['lo'],
  );
  t.deepEqual(await attachmentFiles(env.root), []);
  await host.remove({ gracePeriodSeconds: 0 });
  await none.remove({ gracePeriodSeconds: 0 });
});

test('a pod on a named network from the config dir; an unknown network name fails and leaves nothing', async (t) => {
  // The slot's bridge and subnet, in a conflist of the test's own (netTestEnv's teardown deletes the bridge).
  const env = await netTestEnv(t, 'namedNetwork');
  const confDir = path.join(env.root, 'net.d');
  await mkdir(confDir, { recursive: true });
  const subnet = env.podSubnet;
  await writeFile(
    path.join(confDir, '10-named.conflist'),
    JSON.stringify({
      cniVersion: '1.0.0',
      name: 'nspt-named',
      plugins: [
        {
          type: 'bridge',
          bridge: env.bridge,
          isGateway: true,
          ipam: { type: 'host-local', ranges: [[{ subnet }]], dataDir: path.join(env.root, 'named-ipam') },
        },
      ],
    }),
  );
  const opts = { ...env.options, cniConfDir: confDir };
  const err = await t.throwsAsync(
    Pod.create({ name: 'lost', network: 'nowhere', containers: [{ name: 'c', image: 'busybox', command: ['true'] }] }, opts),
  );
  t.is((err as { code?: string }).code, 'INVALID_SPEC');
  t.regex(err!.message, /no CNI network named "nowhere"/);
  t.deepEqual(await Pod.list(opts), []);

  const pod = await Pod.create({ name: 'named', network: 'nspt-named', containers: [webContainer()] }, opts);
  const s = await pod.status();
  t.is(s.network.network, 'nspt-named');
  t.true(inSubnet(s.network.podIP!, subnet), s.network.podIP);
  t.is(await httpGetEventually(`http://${s.network.podIP}/`), 'hello from named\n');
  await pod.remove({ gracePeriodSeconds: 0 });
  t.deepEqual(await attachmentFiles(env.root), []);
});
