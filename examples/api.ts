// The README's API example, runnable: `npx tsx examples/api.ts` (as root, after `npm run setup`).
import { Pod } from 'nspod';

await using pod = await Pod.create({
  name: `api-example-${process.pid}`,
  shareProcessNamespace: true,
  network: 'none',
  containers: [
    { name: 'web', image: 'busybox', command: ['httpd', '-f', '-p', '127.0.0.1:8080', '-h', '/var/www'] },
    { name: 'client', image: 'busybox', command: ['sleep', '3600'] },
  ],
});
await pod.waitReady({ timeout: 10_000 });
const { stdout } = await pod.exec('client', ['wget', '-qO-', 'http://127.0.0.1:8080/']);
console.log(stdout.trim(), 'from pause pid', (await pod.status()).pause?.pid);
// leaving the scope stops and removes the pod
