import test from 'ava';
import { Pod } from '../../src/pod/pod.js';
import { hostPortRange, listHostPortLeases } from '../../src/network/hostports.js';
import { httpGetEventually, netTestEnv, networkLeftovers, NO_LEFTOVERS } from '../helpers/network.js';
import { nspod } from '../helpers/cli.js';

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

test('two pods created at once with hostPort 0 get different free ports of the range; each answers on 127.0.0.1 at its own; nspod port prints them', async (t) => {
  const env = await netTestEnv(t, 'randomPorts');
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
});
