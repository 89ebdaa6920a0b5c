// The seeds' classic pod, with the busybox toolbox: `web` serves HTTP on
// port 8080, `client` fetches it over the pod's shared localhost, `ps` shows
// /pause as PID 1 of the shared pid namespace, the pod gets an address from
// the CNI bridge network (198.18.0.0/24) and web is published on the host's
// port 18080, answered from the host. Then the pod is torn down and the demo
// checks that nothing is left.
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { rm, rmdir } from 'node:fs/promises';
import { Pod } from '../dist/index.js';
import { defaultIpamDataDir, DEFAULT_IPAM_BASE } from '../dist/network/config.js';

const network = {
  podSubnet: process.env.NSPOD_POD_SUBNET ?? '198.18.0.0/24',
  bridge: process.env.NSPOD_BRIDGE ?? 'nspod-demo0',
};
const bridgeExisted = (await execa('ip', ['link', 'show', network.bridge], { reject: false })).exitCode === 0;

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
      {
        name: 'web',
        image: 'busybox',
        command: ['httpd', '-f', '-v', '-p', '8080', '-h', '/var/www'],
        ports: [{ containerPort: 8080, hostPort: 18080 }],
      },
      { name: 'client', image: 'busybox', command: ['sleep', '3600'] },
    ],
  },
  { root, ...network },
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

  const ip = status.network?.podIP;
  step(`the host: GET http://127.0.0.1:18080/ (hostPort 18080 -> web:8080) and http://${ip}:8080/ (the pod's address)`);
  // Each address is tried, then any failure thrown; NSPOD_TEST_TIME_FACTOR stretches the wait under emulation (test:vm).
  const wait = 5000 * Math.max(1, Number(process.env.NSPOD_TEST_TIME_FACTOR ?? 1) || 1);
  const failed = [];
  for (const url of ['http://127.0.0.1:18080/', `http://${ip}:8080/`]) {
    const res = await fetch(url, { signal: AbortSignal.timeout(wait) }).catch((e) => e);
    if (res instanceof Error) failed.push(`${url}: ${res.message}${res.cause ? ` (${res.cause.message ?? res.cause})` : ''}`);
    else console.log(`${url} -> ${res.status} ${(await res.text()).trim()}`);
  }
  if (failed.length > 0) throw new Error(`GET failed: ${failed.join('; ')}`);

  step(`nspod debug ${name} -- ip -o -4 addr: a host program in the pod\'s namespaces, entered through the pause`);
  const nspod = new URL('../bin/nspod.js', import.meta.url).pathname;
  const debug = await execa(process.execPath, [nspod, '--root', root, 'debug', name, '--', 'ip', '-o', '-4', 'addr'], { reject: false });
  console.log(debug.stdout.trim() || debug.stderr.trim());
} finally {
  step('tearing down');
  const t1 = performance.now();
  await teardown();
  console.log(`down in ${(performance.now() - t1).toFixed(0)} ms`);
}

if (!bridgeExisted) {
  // The bridge and its (now empty) lease dir were the demo's own.
  await execa('ip', ['link', 'delete', network.bridge], { reject: false });
  const leases = defaultIpamDataDir(network.bridge, network.podSubnet);
  await rm(leases, { recursive: true, force: true });
  await rmdir(DEFAULT_IPAM_BASE).catch(() => undefined);
}
const runtimeRoot = pod.runtime.root;
const left = (await execa(pod.runtime.binary, ['--root', runtimeRoot, 'list', '-q'], { reject: false })).stdout
  .split('\n')
  .filter((id) => id === name || id.startsWith(`${name}.`));
const mounts = readFileSync('/proc/self/mounts', 'utf8')
  .split('\n')
  .filter((l) => l.includes(`/pods/${name}/`));
const veths = (await execa('ip', ['-o', 'link', 'show', 'master', network.bridge], { reject: false })).stdout.trim();
console.log(
  `left behind: ${left.length} containers, ${mounts.length} mounts, ${veths ? veths.split('\n').length : 0} veths${bridgeExisted ? '' : ', no bridge'}`,
);
if (left.length + mounts.length > 0 || veths) process.exit(1);
