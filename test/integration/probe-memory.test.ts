import test from 'ava';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../../src/paths.js';
import type { PodSpec } from '../../src/spec/spec.js';
import { testPod } from '../helpers/pods.js';
import { TIME_FACTOR } from '../helpers/host.js';

async function procField(pid: number, field: string): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s*(\\d+)`, 'm').exec(status);
  if (!m) throw new Error(`no ${field} for pid ${pid}`);
  return Number(m[1]);
}

test('an idle pod with probes costs at most 2 MiB of host memory: pause + shims + prober (VmRSS)', async (t) => {
  // The pod `npm run bench` measures too (one fixture, so both measure the same thing): four probes, every second.
  const fixture = JSON.parse(await readFile(path.join(packageRoot, 'test/fixtures/probed-pod.json'), 'utf8')) as Omit<PodSpec, 'name'>;
  const { pod } = await testPod(t, fixture);
  await pod.waitReady({ timeout: 10_000 * TIME_FACTOR });
  // Let every probe run a few times, so the prober is measured after work, not fresh.
  await new Promise((r) => setTimeout(r, 3000));
  const status = await pod.status();
  const record = JSON.parse(await readFile(`${pod.dir}/pod.json`, 'utf8')) as { prober: { pid: number } };
  const pause = status.pause!.pid;
  const shims = await Promise.all([pause, ...status.containers.map((c) => c.pid!)].map((pid) => procField(pid, 'PPid')));
  const rss = {
    pause: await procField(pause, 'VmRSS'),
    shims: (await Promise.all(shims.map((pid) => procField(pid, 'VmRSS')))).reduce((a, b) => a + b, 0),
    prober: await procField(record.prober.pid, 'VmRSS'),
  };
  const total = rss.pause + rss.shims + rss.prober;
  t.log(`VmRSS kB: pause ${rss.pause}, ${shims.length} shims ${rss.shims}, prober ${rss.prober}; total ${total}`);
  for (const pid of shims) t.regex(await readFile(`/proc/${pid}/comm`, 'utf8'), /nspod-shim/);
  t.regex(await readFile(`/proc/${record.prober.pid}/comm`, 'utf8'), /nspod-prober/);
  t.true(total <= 2048, `${total} kB`);
});
