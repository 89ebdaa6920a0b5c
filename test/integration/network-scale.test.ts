import test from 'ava';
import { Pod } from '../../src/pod/pod.js';
import { httpGetEventually, netTestEnv, networkLeftovers, NO_LEFTOVERS, webContainer } from '../helpers/network.js';

test('20 pods started at once get 20 distinct addresses, all reachable from the host, all released after teardown', async (t) => {
  const env = await netTestEnv(t, 'scale');
  const names = Array.from({ length: 20 }, (_, i) => `many-${i}`);
  const settled = await Promise.allSettled(names.map((name) => Pod.create({ name, containers: [webContainer()] }, env.options)));
  const pods = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  t.teardown(() => Promise.all(pods.map((p) => p.remove({ gracePeriodSeconds: 0 }).catch(() => undefined))).then(() => undefined));
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
  t.deepEqual(failures, []);
  const statuses = await Promise.all(pods.map((p) => p.status()));
  const ips = statuses.map((s) => s.network.podIP!);
  t.is(new Set(ips).size, 20, ips.join(' '));
  // Every pod answers with its own hostname at its own address (one at a time: 20 bounded GETs).
  for (const s of statuses) t.is(await httpGetEventually(`http://${s.network.podIP}/`), `hello from ${s.name}\n`);
  const ids = statuses.map((s) => s.network.containerId!);
  const during = await networkLeftovers(env, ids, ips);
  t.is(during.veths.length, 20);
  t.is(during.leases.length, 20);
  await Promise.all(pods.map((p) => p.remove({ gracePeriodSeconds: 0 })));
  t.deepEqual(await networkLeftovers(env, ids, ips), NO_LEFTOVERS);
});
