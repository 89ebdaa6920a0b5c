import test from 'ava';
import { readFile } from 'node:fs/promises';
import { testPod } from '../helpers/pods.js';

async function procField(pid: number, field: string): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s*(\\d+)`, 'm').exec(status);
  if (!m) throw new Error(`no ${field} for pid ${pid}`);
  return Number(m[1]);
}

test('an idle pod with probes costs at most 2 MiB of host memory: pause + shims + prober (VmRSS)', async (t) => {
  const { pod } = await testPod(t, {
    network: 'none',
    containers: [
      {
        name: 'web',
        image: 'busybox',
        command: ['httpd', '-f', '-p', '127.0.0.1:8080', '-h', '/var/www'],
        readinessProbe: { httpGet: { port: 8080, path: '/' }, periodSeconds: 1 },
        livenessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
      },
      { name: 'worker', image: 'busybox', command: ['sleep', '3600'], livenessProbe: { exec: { command: ['true'] }, periodSeconds: 1 } },
    ],
  });
  await pod.waitReady({ timeout: 10_000 });
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
