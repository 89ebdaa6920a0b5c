import test from 'ava';
import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import http from 'node:http';
import path from 'node:path';
import { execa } from 'execa';
import { Pod } from '../../src/pod/pod.js';
import { guardLocalnet, localnetChain, unguardLocalnet } from '../../src/network/localnet.js';
import { RUNTIME, eventually, runtimeContainers } from '../helpers/host.js';
import {
  attachmentFiles,
  bridgePorts,
  httpGet,
  httpGetEventually,
  iptablesLinesOf,
  leaseFiles,
  netTestEnv,
  networkLeftovers,
  NO_LEFTOVERS,
  webContainer,
} from '../helpers/network.js';

/**
 * Host ports do not open the host's loopback (CVE-2020-8558): portmap's snat set route_localnet=1 on the bridge, so a pod
 * that sends packets to 127.0.0.1 through the bridge (here the test routes them so from the host side, as a pod with
 * CAP_NET_RAW could craft them) would reach a server bound to the host's 127.0.0.1, but for nspod's rule. The same
 * packets without the rule do reach it: the attack is real here, and the rule is what stops it.
 */
async function loopbackStaysClosed(t: import('ava').ExecutionContext, bridge: string, netns: string): Promise<void> {
  t.is(
    (await readFile(`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, 'utf8')).trim(),
    '1',
    'portmap opened the bridge to 127.0.0.0/8',
  );
  t.regex(
    (await execa('iptables', ['-w', '-S', localnetChain(bridge)])).stdout,
    /-d 127\.0\.0\.0\/8 .*--ctstate RELATED,ESTABLISHED,DNAT -j DROP/,
  );
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted += 1;
    socket.end('host loopback secret\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => void server.close());
  const port = (server.address() as net.AddressInfo).port;
  const inPod = (args: string[]) => execa('nsenter', [`--net=${netns}`, ...args], { reject: false });
  const gateway = /default via (\S+)/.exec((await inPod(['ip', 'route', 'show', 'default'])).stdout)![1]!;
  // The pod's side of the attack: 127.0.0.1 routed out of eth0 to the bridge.
  await inPod(['sh', '-c', 'echo 1 > /proc/sys/net/ipv4/conf/eth0/route_localnet']);
  await inPod(['ip', 'route', 'del', 'local', '127.0.0.1', 'dev', 'lo', 'table', 'local']);
  await inPod(['ip', 'route', 'del', 'local', '127.0.0.0/8', 'dev', 'lo', 'table', 'local']);
  // Else the host's answer from 127.0.0.1 is a martian to the pod: it has that address itself.
  await inPod(['ip', 'addr', 'del', '127.0.0.1/8', 'dev', 'lo']);
  t.is((await inPod(['ip', 'route', 'add', '127.0.0.1/32', 'via', gateway, 'dev', 'eth0'])).exitCode, 0);
  const client = `const s = require('net').connect(${port}, '127.0.0.1'); s.setTimeout(1500, () => process.exit(3));
    s.on('data', (d) => { process.stdout.write(d); process.exit(0); }); s.on('error', () => process.exit(2));`;
  const attempt = () => inPod([process.execPath, '-e', client]);
  const blocked = await attempt();
  t.not(blocked.exitCode, 0, blocked.stdout);
  t.is(accepted, 0, 'nothing reached the host loopback');
  await unguardLocalnet(bridge);
  const open = await attempt();
  await guardLocalnet(bridge);
  t.is(open.stdout, 'host loopback secret', 'without the rule the same packets get through');
}

/**
 * A stand-in for the host's own address: one address of 198.18.1.0/24 on an
 * interface the test makes and removes (a dummy when the kernel has the
 * module, else a port-less bridge, which plays the same part).
 */
async function dummyAddress(t: import('ava').ExecutionContext, name: string, address: string): Promise<void> {
  t.teardown(() => execa('ip', ['link', 'del', name], { reject: false }).then(() => undefined));
  const dummy = await execa('ip', ['link', 'add', name, 'type', 'dummy'], { reject: false });
  if (dummy.exitCode !== 0) await execa('ip', ['link', 'add', name, 'type', 'bridge']);
  await execa('ip', ['addr', 'add', `${address}/32`, 'dev', name]);
  await execa('ip', ['link', 'set', name, 'up']);
}

test('hostPorts answer on 127.0.0.1 and on a host address (TCP; UDP reaches the pod); after removal the port is free and nothing is left', async (t) => {
  const env = await netTestEnv(t, 'portsAnswer');
  const hostAddress = '198.18.1.2';
  await dummyAddress(t, 'nspd2', hostAddress);
  const pod = await Pod.create(
    {
      name: 'ports',
      containers: [
        webContainer('web', [
          { containerPort: 80, hostPort: 18182 },
          { containerPort: 80, hostPort: 18184, hostIP: hostAddress },
        ]),
        { name: 'udp', image: 'busybox', command: ['sleep', '3600'], ports: [{ containerPort: 9000, hostPort: 18183, protocol: 'UDP' }] },
      ],
    },
    env.options,
  );
  const s = await pod.status();
  t.deepEqual(
    s.network.ports.map((p) => `${p.hostIP ?? '*'}:${p.hostPort}/${p.protocol}->${p.containerPort}`),
    ['*:18182/tcp->80', `${hostAddress}:18184/tcp->80`, '*:18183/udp->9000'],
  );
  t.is(await httpGetEventually('http://127.0.0.1:18182/'), 'hello from ports\n');
  t.is(await httpGetEventually(`http://${hostAddress}:18182/`), 'hello from ports\n');
  t.is(await httpGetEventually(`http://${hostAddress}:18184/`), 'hello from ports\n');
  // A hostIP binds the port to that address only.
  await t.throwsAsync(httpGet('http://127.0.0.1:18184/', 1000));

  // UDP: the toolbox has no UDP server, so the pod's own UDP counters show the datagrams to 127.0.0.1:18183
  // arriving in its netns at port 9000, where nothing listens (NoPorts). Bounded: 20 datagrams.
  const udpCounters = async () => {
    const lines = (await pod.exec('udp', ['cat', '/proc/net/snmp'])).stdout.split('\n').filter((l) => l.startsWith('Udp:'));
    const [names, values] = lines.map((l) => l.split(/\s+/).slice(1));
    return Object.fromEntries(names!.map((n, i) => [n, Number(values![i])])) as Record<string, number>;
  };
  const udpBefore = await udpCounters();
  const socket = dgram.createSocket('udp4');
  t.teardown(() => socket.close());
  for (let i = 0; i < 20; i++) {
    await new Promise<void>((resolve, reject) => socket.send('udp-ping\n', 18183, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  }
  // The datagrams are counted as they are dropped: wait for the count instead of a fixed time.
  const udpAfter = await eventually(
    async () => {
      const c = await udpCounters();
      return c.NoPorts! - udpBefore.NoPorts! >= 20 ? c : undefined;
    },
    2000,
    'the 20 datagrams to be counted',
  ).catch(async () => await udpCounters());
  t.true(udpAfter.NoPorts! - udpBefore.NoPorts! >= 20, `NoPorts ${udpBefore.NoPorts} -> ${udpAfter.NoPorts}`);

  await loopbackStaysClosed(t, env.bridge, path.join(pod.dir, 'netns'));

  const ids = [s.network.containerId!];
  const during = await networkLeftovers(env, ids, [s.network.podIP!]);
  t.is(during.veths.length, 1);
  t.true(
    during.chains.some((l) => l.includes('18182')),
    'portmap rules while the pod runs',
  );
  await pod.remove({ gracePeriodSeconds: 0 });

  t.deepEqual(await networkLeftovers(env, ids, [s.network.podIP!]), NO_LEFTOVERS);
  t.true(
    (await execa('iptables', ['-w', '-S', localnetChain(env.bridge)], { reject: false })).exitCode === 0,
    'the localnet chain stays while its bridge does',
  );
  const { stdout: rules } = await execa('iptables-save');
  t.deepEqual(
    rules.split('\n').filter((l) => /\b1818[234]\b/.test(l)),
    [],
    'no rule mentions the published ports',
  );
  // The port is free: a server of the host's own gets the connection now.
  const server = http.createServer((_req, res) => res.end('host server\n'));
  await new Promise<void>((resolve) => server.listen(18182, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  t.is(await httpGet('http://127.0.0.1:18182/'), 'host server\n');
});

test('a second pod asking for a hostPort another pod holds is refused before anything is made', async (t) => {
  const env = await netTestEnv(t, 'portsConflict');
  const holder = await Pod.create(
    { name: 'holder', containers: [webContainer('web', [{ containerPort: 80, hostPort: 18190 }])] },
    env.options,
  );
  const before = {
    veths: await bridgePorts(env.bridge),
    leases: await leaseFiles(env.root),
    attachments: await attachmentFiles(env.root),
    containers: await runtimeContainers(path.join(env.root, 'runtime', RUNTIME)),
  };
  for (const [name, port] of [
    ['taker', { containerPort: 8080, hostPort: 18190 }],
    ['taker-ip', { containerPort: 8080, hostPort: 18190, hostIP: '198.18.1.3' }],
  ] as const) {
    const err = await t.throwsAsync(Pod.create({ name, containers: [webContainer('web', [port])] }, env.options));
    t.is((err as { code?: string }).code, 'INVALID_SPEC');
    t.regex(err!.message, /hostPort .*:18190\/tcp is already published by pod holder/);
  }
  t.deepEqual(await Pod.list(env.options), ['holder']);
  t.deepEqual(
    {
      veths: await bridgePorts(env.bridge),
      leases: await leaseFiles(env.root),
      attachments: await attachmentFiles(env.root),
      containers: await runtimeContainers(path.join(env.root, 'runtime', RUNTIME)),
    },
    before,
  );
  // The same number over UDP is another port.
  const udp = await Pod.create(
    {
      name: 'udp-same-number',
      containers: [
        { name: 'c', image: 'busybox', command: ['sleep', '3600'], ports: [{ containerPort: 9000, hostPort: 18190, protocol: 'UDP' }] },
      ],
    },
    env.options,
  );
  t.is((await udp.status()).network.ports[0]!.protocol, 'udp');
  const ids = [(await holder.status()).network.containerId!, (await udp.status()).network.containerId!];
  await udp.remove({ gracePeriodSeconds: 0 });
  await holder.remove({ gracePeriodSeconds: 0 });
  // Once the holder is gone, the port can be had.
  const taker = await Pod.create(
    { name: 'taker', containers: [webContainer('web', [{ containerPort: 80, hostPort: 18190 }])] },
    env.options,
  );
  t.is(await httpGetEventually('http://127.0.0.1:18190/'), 'hello from taker\n');
  ids.push((await taker.status()).network.containerId!);
  await taker.remove({ gracePeriodSeconds: 0 });
  t.deepEqual(await iptablesLinesOf('nspod', ids, []), []);
});

test('two pods of one state root created at once asking for the same hostPort: exactly one gets it, the other leaves nothing', async (t) => {
  const env = await netTestEnv(t, 'portsRace');
  const spec = (name: string) => ({ name, containers: [webContainer('web', [{ containerPort: 80, hostPort: 18195 }])] });
  // Both pass the early check (neither pod has a record yet); the locked re-check before the attachment intent decides.
  const settled = await Promise.allSettled([Pod.create(spec('racer-a'), env.options), Pod.create(spec('racer-b'), env.options)]);
  const won = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const lost = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error & { code?: string }] : []));
  t.is(won.length, 1, lost.map(String).join('\n'));
  t.is(lost.length, 1);
  t.is(lost[0]!.code, 'INVALID_SPEC');
  t.regex(lost[0]!.message, /hostPort 0\.0\.0\.0:18195\/tcp is already published by pod racer-[ab]/);
  const winner = won[0]!;
  t.deepEqual(await Pod.list(env.options), [winner.name]);
  t.is((await attachmentFiles(env.root)).length, 1);
  t.is((await bridgePorts(env.bridge)).length, 1);
  t.is((await leaseFiles(env.root)).length, 1);
  t.is(await httpGetEventually('http://127.0.0.1:18195/'), `hello from ${winner.name}\n`);
  const s = await winner.status();
  await winner.remove({ gracePeriodSeconds: 0 });
  t.deepEqual(await networkLeftovers(env, [s.network.containerId!], [s.network.podIP!]), NO_LEFTOVERS);
});
