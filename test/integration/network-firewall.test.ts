import test from 'ava';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { Pod } from '../../src/pod/pod.js';
import { DEFAULT_CNI_PATH } from '../../src/network/config.js';
import { findPlugin } from '../../src/network/cni.js';
import { attachmentFiles, leaseFiles, netTestEnv, webContainer } from '../helpers/network.js';

/**
 * The whole scenario runs in a network namespace of the test's own making:
 * the CNI plugins are reached through wrappers that nsenter it, so the
 * bridge, the veths' host ends and every iptables rule (FORWARD policy DROP
 * included) live there, and deleting it takes them all. The host's own
 * FORWARD policy is never touched. br_netfilter's bridge-nf-call-iptables is
 * per netns: set to 1 there, bridged pod-to-pod frames go through FORWARD, as
 * on GitHub's runners where Docker sets FORWARD to DROP.
 */
async function privateNetns(t: import('ava').ExecutionContext, name: string) {
  const file = `/run/netns/${name}`;
  await execa('ip', ['netns', 'add', name]);
  t.teardown(() => execa('ip', ['netns', 'del', name], { reject: false }).then(() => undefined));
  const run = (cmd: string[]) => execa('nsenter', [`--net=${file}`, ...cmd]);
  await run(['ip', 'link', 'set', 'lo', 'up']);
  await run(['iptables', '-P', 'FORWARD', 'DROP']);
  await run(['sh', '-c', 'echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables']);
  // A plugin dir whose plugins run in the netns (the bridge plugin finds host-local through CNI_PATH, so it is wrapped too).
  const pluginDir = await mkdtemp(path.join(os.tmpdir(), 'nspod-fw-plugins-'));
  t.teardown(() => rm(pluginDir, { recursive: true, force: true }));
  for (const type of ['bridge', 'host-local', 'portmap', 'firewall', 'loopback']) {
    const wrapper = path.join(pluginDir, type);
    await writeFile(wrapper, `#!/bin/sh\nexec nsenter --net=${file} ${findPlugin(type, DEFAULT_CNI_PATH)}\n`);
    await chmod(wrapper, 0o755);
  }
  return { file, run, pluginDir };
}

/** Packet counts of CNI-FORWARD's rules, by rule text, and the FORWARD policy's drops. */
async function forwardCounters(run: (cmd: string[]) => Promise<{ stdout: string }>) {
  const { stdout } = await run(['iptables-save', '-c', '-t', 'filter']);
  const rules = new Map<string, number>();
  let policyDrops = 0;
  for (const line of stdout.split('\n')) {
    const policy = /^:FORWARD DROP \[(\d+):\d+\]$/.exec(line);
    if (policy) policyDrops = Number(policy[1]);
    const rule = /^\[(\d+):\d+\] (-A CNI-FORWARD .*)$/.exec(line);
    if (rule) rules.set(rule[2]!, Number(rule[1]));
  }
  return { rules, policyDrops };
}

const sleeper = { name: 'c', image: 'busybox', command: ['sleep', '3600'] };

test("FORWARD policy DROP with br_netfilter: pods reach each other over HTTP through the firewall plugin's ACCEPT rules, which go with the pods; without the plugin the same traffic is dropped", async (t) => {
  const ns = await privateNetns(t, `nsptfw${process.pid}`);
  // Registered after the netns: teardowns run last-first, so the pods are removed (CNI DEL in the netns) before it goes.
  const env = await netTestEnv(t, 'firewall');
  // The slot's /28 in two /29s: the built-in network, and one without the firewall plugin.
  const [base] = env.podSubnet.split('/');
  const withFirewall = { ...env.options, cniPath: [ns.pluginDir], podSubnet: `${base}/29` };
  const confDir = path.join(env.root, 'net.d');
  await mkdir(confDir, { recursive: true });
  const lastOctet = Number(base!.split('.')[3]);
  await writeFile(
    path.join(confDir, 'nofw.conflist'),
    JSON.stringify({
      cniVersion: '1.0.0',
      name: 'nofw',
      plugins: [
        {
          type: 'bridge',
          bridge: `${env.bridge}n`,
          isGateway: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: `198.18.0.${lastOctet + 8}/29` }]], dataDir: path.join(env.root, 'nofw-ipam') },
        },
      ],
    }),
  );

  const web = await Pod.create({ name: 'fw-web', containers: [webContainer()] }, withFirewall);
  const client = await Pod.create({ name: 'fw-client', containers: [sleeper] }, withFirewall);
  const ipWeb = (await web.status()).network.podIP!;
  const ipClient = (await client.status()).network.podIP!;
  const before = await forwardCounters(ns.run);
  const clientOut = `-A CNI-FORWARD -s ${ipClient}/32 -j ACCEPT`;
  const webOut = `-A CNI-FORWARD -s ${ipWeb}/32 -j ACCEPT`;
  t.true(before.rules.has(clientOut), [...before.rules.keys()].join('\n'));
  t.true(before.rules.has(webOut), [...before.rules.keys()].join('\n'));
  let got: { exitCode?: number; stdout: string; stderr: string } = { stdout: '', stderr: '' };
  for (let i = 0; i < 20; i++) {
    got = await client.exec('c', ['timeout', '3', 'wget', '-qO-', `http://${ipWeb}/`]);
    if (got.exitCode === 0) break;
    await new Promise((r) => setTimeout(r, 100)); // the server may not listen yet
  }
  t.is(got.stdout.trim(), 'hello from fw-web', got.stderr);
  const after = await forwardCounters(ns.run);
  // Both directions went through FORWARD and were accepted by the pods' own rules.
  t.true(
    after.rules.get(clientOut)! > before.rules.get(clientOut)!,
    `request packets: ${before.rules.get(clientOut)} -> ${after.rules.get(clientOut)}`,
  );
  t.true(after.rules.get(webOut)! > before.rules.get(webOut)!, `answer packets: ${before.rules.get(webOut)} -> ${after.rules.get(webOut)}`);

  // The control: the same two pods on a network without the firewall plugin cannot talk, and FORWARD's policy drops the tries.
  const opts = { ...env.options, cniPath: [ns.pluginDir], cniConfDir: confDir };
  const web2 = await Pod.create({ name: 'nofw-web', network: 'nofw', containers: [webContainer()] }, opts);
  const client2 = await Pod.create({ name: 'nofw-client', network: 'nofw', containers: [sleeper] }, opts);
  const ipWeb2 = (await web2.status()).network.podIP!;
  // The server listens (its own loopback answers), so a failure below is the forwarding's.
  let self = { exitCode: 1 as number | undefined, stdout: '' };
  for (let i = 0; i < 20 && self.exitCode !== 0; i++) {
    self = await web2.exec('web', ['timeout', '3', 'wget', '-qO-', 'http://127.0.0.1/']);
    if (self.exitCode !== 0) await new Promise((r) => setTimeout(r, 100));
  }
  t.is(self.stdout.trim(), 'hello from nofw-web');
  const dropsBefore = (await forwardCounters(ns.run)).policyDrops;
  const blocked = await client2.exec('c', ['timeout', '2', 'wget', '-qO-', `http://${ipWeb2}/`]);
  t.not(blocked.exitCode, 0, blocked.stdout);
  t.true((await forwardCounters(ns.run)).policyDrops > dropsBefore, 'FORWARD policy counted the dropped packets');
  await web2.remove({ gracePeriodSeconds: 0 });
  await client2.remove({ gracePeriodSeconds: 0 });

  // Removal takes the per-pod rules (the shared CNI-FORWARD / CNI-ADMIN chains may stay, as portmap's do).
  await web.remove({ gracePeriodSeconds: 0 });
  await client.remove({ gracePeriodSeconds: 0 });
  const { stdout: rulesLeft } = await ns.run(['iptables-save']);
  t.deepEqual(
    rulesLeft.split('\n').filter((l) => l.includes(`${ipWeb}/32`) || l.includes(`${ipClient}/32`)),
    [],
  );
  t.deepEqual(await leaseFiles(env.root), []);
  t.deepEqual(await attachmentFiles(env.root), []);
  // Nothing of this happened in the host's own netns.
  const { stdout: hostRules } = await execa('iptables-save');
  t.deepEqual(
    hostRules.split('\n').filter((l) => l.includes(`${ipWeb}/32`) || l.includes(`${ipClient}/32`)),
    [],
  );
});
