import test from 'ava';
import { readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { mountsUnder } from '../../src/host/mounts.js';
import { packageRoot } from '../../src/paths.js';
import { Pod } from '../../src/pod/pod.js';
import { gcNetworks } from '../../src/pod/gc.js';
import { RUNTIME, eventually, runtimeContainers, stateRoot } from '../helpers/host.js';
import { nspod, NSPOD_BIN, writeManifest } from '../helpers/cli.js';
import { bridgePorts, httpGetEventually, leaseFiles, slotNetwork } from '../helpers/network.js';

const pod = (name: string, containers: string, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
${extra}  containers:
${containers}`;

const sleeper = `    - name: app
      image: busybox
      command: ["sleep", "3600"]
`;

async function podNames(root: string): Promise<string[]> {
  return existsSync(path.join(root, 'pods')) ? (await readdir(path.join(root, 'pods'))).sort() : [];
}

test('one file with two Pod documents: run -d starts both and prints both names', async (t) => {
  const root = await stateRoot(t, 'cli-more');
  const file = await writeManifest(root, `${pod('first', sleeper)}---\n${pod('second', sleeper)}`);
  t.teardown(() => nspod(root, ['rm', '-f', 'first', 'second']).then(() => undefined));
  const run = await nspod(root, ['run', '-d', file]);
  t.is(run.exitCode, 0, run.stderr);
  t.is(run.stdout, 'first\nsecond\n');
  const ps = (await nspod(root, ['ps'])).stdout;
  t.regex(ps, /^first\s+1\/1\s+Running/m);
  t.regex(ps, /^second\s+1\/1\s+Running/m);
  t.is((await nspod(root, ['exec', 'second', '--', 'hostname'])).stdout, 'second\n');
});

test('a bad second document creates neither pod: invalid YAML field, and an image that cannot be found at create time', async (t) => {
  const root = await stateRoot(t, 'cli-more');
  const invalid = await writeManifest(
    root,
    `${pod('good', sleeper)}---\n${pod('bad', '    - name: app\n      image: busybox\n      command: ["sleep", 3600]\n')}`,
    'invalid.yaml',
  );
  const r1 = await nspod(root, ['run', '-d', invalid]);
  t.is(r1.exitCode, 1);
  t.is(r1.stderr.split('\n').filter(Boolean).length, 1, r1.stderr);
  t.regex(r1.stderr, /invalid\.yaml.*command\[1\]/);
  t.is(r1.stdout, '');
  t.deepEqual(await podNames(root), []);

  // Valid YAML, but the second pod fails only once its creation starts: the first, already made, is undone.
  const missing = await writeManifest(
    root,
    `${pod('good', sleeper)}---\n${pod('bad', '    - name: app\n      image: ./no-such-rootfs\n      command: ["true"]\n')}`,
    'missing.yaml',
  );
  const r2 = await nspod(root, ['run', '-d', missing]);
  t.is(r2.exitCode, 1);
  t.regex(r2.stderr, /no-such-rootfs/);
  t.is(r2.stdout, '');
  t.deepEqual(await podNames(root), []);
  t.deepEqual(await runtimeContainers(path.join(root, 'runtime', RUNTIME)), []);
  t.deepEqual(mountsUnder(root), []);
});

test('exec -t gives the command a terminal (/dev/pts/N); without -t it has none', async (t) => {
  const root = await stateRoot(t, 'cli-more');
  const file = await writeManifest(root, pod('term', sleeper));
  t.teardown(() => nspod(root, ['rm', '-f', 'term']).then(() => undefined));
  t.is((await nspod(root, ['run', '-d', file])).exitCode, 0);
  // util-linux script(1) runs the CLI on a pty, as a user's terminal would be. Its stdin stays an open pipe:
  // at EOF script would type a ^D into the pty, which the terminal echoes as ^@ once runc has made it raw.
  const cmd = `${process.execPath} ${NSPOD_BIN} --root ${root} --runtime ${RUNTIME} exec -t term -- tty`;
  const withTty = await execa('script', ['-qec', cmd, '/dev/null'], { reject: false, timeout: 20_000, stdin: 'pipe' });
  t.is(withTty.exitCode, 0, withTty.stderr);
  t.regex(withTty.stdout.trim(), /^\/dev\/pts\/\d+$/);
  const without = await nspod(root, ['exec', 'term', '--', 'tty']);
  t.is(without.stdout, 'not a tty\n');
  t.is(without.exitCode, 1);
});

test('logs -f prints lines as they come and ends by itself when the container exits for good', async (t) => {
  const root = await stateRoot(t, 'cli-more');
  // The container prints one line, then waits for the test to let it go on: what follows is written while logs -f runs.
  const file = await writeManifest(
    root,
    pod(
      'ticker',
      `    - name: tick
      image: busybox
      command: ["sh", "-c", "echo before; while [ ! -f /tmp/go ]; do sleep 0.1; done; for i in 1 2 3 4 5; do echo tick $i; sleep 0.1; done"]
`,
      '  restartPolicy: Never\n',
    ),
  );
  t.teardown(() => nspod(root, ['rm', '-f', 'ticker']).then(() => undefined));
  t.is((await nspod(root, ['run', '-d', file])).exitCode, 0);
  const follow = nspod(root, ['logs', '-f', 'ticker']);
  t.teardown(() => {
    follow.kill('SIGKILL');
  });
  let seen = '';
  follow.stdout!.on('data', (d: Buffer) => {
    seen += d.toString();
  });
  await eventually(() => (seen.includes('before\n') ? true : undefined), 20_000, 'logs -f to print the first line');
  t.is(seen, 'before\n', 'nothing else was written yet');
  t.is((await nspod(root, ['exec', 'ticker', '--', 'touch', '/tmp/go'])).exitCode, 0);
  const ended = await Promise.race([follow, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000))]);
  t.not(ended, 'timeout', 'logs -f did not end after the container exited');
  if (ended === 'timeout') return;
  t.is(ended.exitCode, 0, ended.stderr);
  t.is(seen, `before\n${[1, 2, 3, 4, 5].map((i) => `tick ${i}\n`).join('')}`);
  t.regex((await nspod(root, ['ps'])).stdout, /^ticker\s+0\/1\s+Completed/m);
});

// Its own bridge and slot of 198.18.0.0/24 (the table in test/helpers/net-slots.ts).
const PUBLISH_NET = slotNetwork('cliPublish');

test("the seeds' manifest (examples/seeds.yaml) with -p 18090:8080: the host gets web's page, client fetches it over localhost, debug sees eth0; after rm -f nothing is left", async (t) => {
  const root = await stateRoot(t, 'cli-pub');
  const env = {
    NSPOD_BRIDGE: PUBLISH_NET.bridge,
    NSPOD_POD_SUBNET: PUBLISH_NET.podSubnet,
    NSPOD_IPAM_DIR: path.join(root, 'network', 'ipam'),
  };
  t.teardown(async () => {
    for (const name of await Pod.list({ root }).catch(() => [] as string[])) {
      await (await Pod.load(name, { root })).remove({ gracePeriodSeconds: 0 }).catch(() => undefined);
    }
    await gcNetworks({ root }).catch(() => undefined);
    await execa('ip', ['link', 'del', PUBLISH_NET.bridge], { reject: false });
  });
  // -p replaces the manifest's hostPort 18080 (the demo's) with one of this test's own.
  const run = await nspod(
    root,
    ['run', '-d', '--wait=30s', '--network', 'default', '-p', '18090:8080', path.join(packageRoot, 'examples', 'seeds.yaml')],
    { env },
  );
  t.is(run.exitCode, 0, run.stderr);
  t.is(run.stdout, 'seeds\n');
  const inspect = JSON.parse((await nspod(root, ['inspect', 'seeds'])).stdout) as { status: { network: { podIP: string } } };
  const ip = inspect.status.network.podIP;
  t.regex(ip, /^198\.18\.0\.(17[7-9]|18[0-9]|190)$/);
  t.is(await httpGetEventually('http://127.0.0.1:18090/'), 'hello from nspod\n');
  t.is((await bridgePorts(PUBLISH_NET.bridge)).length, 1, 'one veth on the bridge while the pod runs');
  await eventually(
    async () => ((await nspod(root, ['logs', 'seeds', 'client'])).stdout.includes('fetch') ? true : undefined),
    15_000,
    'client to fetch over localhost',
  );
  t.regex((await nspod(root, ['logs', 'seeds', 'client'])).stdout, /^hello from nspod\nfetch \d+ ok$/m);
  const debug = await nspod(root, ['debug', 'seeds', '--', 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
  t.regex(debug.stdout, new RegExp(`eth0\\s+inet ${ip.replace(/\./g, '\\.')}/28`));

  t.is((await nspod(root, ['rm', '-f', 'seeds'], { env })).exitCode, 0);
  t.deepEqual(await podNames(root), []);
  t.deepEqual(await bridgePorts(PUBLISH_NET.bridge), [], 'no veth left');
  t.deepEqual(await leaseFiles(root), [], 'no lease left');
  const iptables = (await execa('iptables-save')).stdout;
  t.false(/dport 18090\b.*DNAT/.test(iptables), 'no DNAT rule for 18090 left');
});
