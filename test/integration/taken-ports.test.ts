/** A hostPort a host process already holds is refused before anything is made (issue 17, B6). */
import test from 'ava';
import { createServer, type AddressInfo } from 'node:net';
import { createSocket } from 'node:dgram';
import { Pod } from '../../src/pod/pod.js';
import type { PodSpec } from '../../src/spec/spec.js';
import { stateRoot, RUNTIME } from '../helpers/host.js';
import { assertNoLeftovers } from '../helpers/leftovers.js';
import { NO_BRIDGE } from '../helpers/net-slots.js';

const published = (name: string, hostPort: number, protocol: 'TCP' | 'UDP'): PodSpec => ({
  name,
  containers: [{ name: 'web', image: 'busybox', command: ['sleep', '3600'], ports: [{ containerPort: 80, hostPort, protocol }] }],
});

test('a hostPort a host process listens on (TCP on 127.0.0.1, UDP) is refused naming the port and the process; nothing is made', async (t) => {
  const root = await stateRoot(t, 'taken');
  // The refusal comes before CNI ADD: no bridge is made (NO_BRIDGE's name is never created).
  const options = { root, runtime: RUNTIME, defaultNetwork: 'default', ...NO_BRIDGE };
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  t.teardown(() => server.close());
  const tcp = (server.address() as AddressInfo).port;
  const e = await t.throwsAsync(Pod.create(published(`tk-${process.pid}`, tcp, 'TCP'), options));
  t.regex(
    e!.message,
    new RegExp(`hostPort 0\\.0\\.0\\.0:${tcp}/tcp is taken on this host by process ${process.pid} \\(\\S+\\) on 127\\.0\\.0\\.1:${tcp}`),
  );

  const udp = createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind({ address: '127.0.0.1', port: 0 }, resolve));
  t.teardown(() => udp.close());
  const udpPort = udp.address().port;
  const u = await t.throwsAsync(Pod.create(published(`tu-${process.pid}`, udpPort, 'UDP'), options));
  t.regex(u!.message, new RegExp(`hostPort 0\\.0\\.0\\.0:${udpPort}/udp is taken on this host by process ${process.pid} `));
  await assertNoLeftovers(t, root);
});
