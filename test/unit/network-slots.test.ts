import test from 'ava';
import { NET_SLOTS, slotNetwork, type NetSlotName } from '../helpers/net-slots.js';

const toInt = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
function range(cidr: string): [number, number] {
  const [base, bits] = cidr.split('/');
  const start = toInt(base!);
  return [start, start + 2 ** (32 - Number(bits)) - 1];
}

test('the network test slots: each its own aligned subnet inside 198.18.0.0/24 or 198.18.2.0/24 (never 198.18.1.0/24, the host addresses tests add) and its own bridge; no two overlap', (t) => {
  const names = Object.keys(NET_SLOTS) as NetSlotName[];
  const nets = names.map((n) => ({ n, ...slotNetwork(n) }));
  const inside = (a: number, b: number, cidr: string) => a >= range(cidr)[0] && b <= range(cidr)[1];
  for (const { n, podSubnet, bridge } of nets) {
    const [a, b] = range(podSubnet);
    t.true(inside(a, b, '198.18.0.0/24') || inside(a, b, '198.18.2.0/24'), `${n}: ${podSubnet} inside 198.18.0.0/24 or 198.18.2.0/24`);
    t.is(a % (b - a + 1), 0, `${n}: ${podSubnet} is aligned`);
    t.true(bridge.length <= 15, bridge);
  }
  for (const [i, x] of nets.entries()) {
    for (const y of nets.slice(i + 1)) {
      const [a1, b1] = range(x.podSubnet);
      const [a2, b2] = range(y.podSubnet);
      t.true(b1 < a2 || b2 < a1, `${x.n} ${x.podSubnet} and ${y.n} ${y.podSubnet} overlap`);
      t.not(x.bridge, y.bridge);
    }
  }
  t.deepEqual(slotNetwork('podToPod'), { bridge: 'nspt0', podSubnet: '198.18.0.0/28' });
  t.deepEqual(slotNetwork('scale'), { bridge: 'nspt8', podSubnet: '198.18.0.128/27' });
  t.deepEqual(slotNetwork('bench'), { bridge: 'nspb0', podSubnet: '198.18.0.240/29' });
  t.deepEqual(slotNetwork('chaos'), { bridge: 'nspc0', podSubnet: '198.18.0.248/29' });
  t.deepEqual(slotNetwork('restartAll'), { bridge: 'nspt16', podSubnet: '198.18.2.0/28' });
  t.deepEqual(slotNetwork('bridgeRace'), { bridge: 'nspt19', podSubnet: '198.18.2.48/28' });
});
