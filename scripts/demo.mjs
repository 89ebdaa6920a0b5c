// The seeds' classic pod, with the busybox toolbox: `web` serves HTTP on
// 127.0.0.1:8080, `client` fetches it over the pod's shared localhost, and
// `ps` shows /pause as PID 1 of the shared pid namespace. Then the pod is
// torn down and the demo checks that nothing is left.
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { Pod } from '../dist/index.js';

const root = process.env.NSPOD_ROOT ?? '/run/nspod';
const name = `demo-${process.pid}`;
const step = (s) => console.log(`\n== ${s}`);

step(`creating pod ${name} (pause + web + client, shared pid namespace)`);
const t0 = performance.now();
const pod = await Pod.create(
  {
    name,
    hostname: 'demo',
    shareProcessNamespace: true,
    containers: [
      { name: 'web', image: 'busybox', command: ['httpd', '-f', '-v', '-p', '127.0.0.1:8080', '-h', '/var/www'] },
      { name: 'client', image: 'busybox', command: ['sleep', '3600'] },
    ],
  },
  { root },
);
let removed = false;
const teardown = async () => {
  if (removed) return;
  removed = true;
  await pod.remove({ gracePeriodSeconds: 2 });
};
process.once('SIGINT', () => teardown().then(() => process.exit(130)));
try {
  console.log(`up in ${(performance.now() - t0).toFixed(0)} ms`);
  const status = await pod.status();
  console.log(`pause pid ${status.pause.pid}; namespaces:`);
  for (const [ns, { path, inode }] of Object.entries(status.pause.namespaces)) console.log(`  ${ns.padEnd(4)} ${path} -> ${inode}`);
  for (const c of status.containers) console.log(`container ${c.name}: ${c.state}, pid ${c.pid}`);

  step('client: wget http://127.0.0.1:8080/ (web is in another container, same network namespace)');
  const got = await pod.exec('client', ['wget', '-qO-', 'http://127.0.0.1:8080/']);
  console.log(got.stdout.trim());
  if (got.exitCode !== 0) throw new Error(`wget failed: ${got.stderr}`);

  step('client: ps (pid namespace shared with the pause)');
  console.log((await pod.exec('client', ['ps', '-o', 'pid,user,args'])).stdout.trimEnd());

  step('client: hostname (uts namespace of the pause)');
  console.log((await pod.exec('client', ['hostname'])).stdout.trim());
} finally {
  step('tearing down');
  const t1 = performance.now();
  await teardown();
  console.log(`down in ${(performance.now() - t1).toFixed(0)} ms`);
}

const runtimeRoot = pod.runtime.root;
const left = (await execa(pod.runtime.binary, ['--root', runtimeRoot, 'list', '-q'], { reject: false })).stdout.split('\n').filter((id) => id === name || id.startsWith(`${name}.`));
const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => l.includes(`/pods/${name}/`));
console.log(`left behind: ${left.length} containers, ${mounts.length} mounts`);
if (left.length + mounts.length > 0) process.exit(1);
