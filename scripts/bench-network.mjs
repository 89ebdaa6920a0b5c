#!/usr/bin/env node
// Network benchmark (run as root after scripts/setup):
//  1. CNI attach + detach of one pod through nspod (intent file, netns pin,
//     ADD, cached result, DEL, unpin) vs the same plugins with the same
//     config run by hand (spawn, stdin, prevResult), on one netns.
//  2. Pod up (create) and teardown (remove) with the built-in network vs network none.
// Uses its own bridge nspb0 and 198.18.0.240/28; removes its netns, its state root and the bridge (when it made it) at the end.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pod, gcNetworks } from '../dist/index.js';
import { attachPodNetwork, detachPodNetwork, planPodNetwork } from '../dist/network/attachment.js';
import { pluginStdin } from '../dist/network/cni.js';
import { unguardLocalnet } from '../dist/network/localnet.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const root = mkdtempSync(path.join(os.tmpdir(), 'nspod-bench-net-'));
// Its own lease dir under its state root (the host-wide default would outlive the bench). Slot 15 of the table in test/helpers/net-slots.ts.
const netOpts = { bridge: 'nspb0', podSubnet: '198.18.0.240/28', ipamDataDir: path.join(root, 'network', 'ipam') };
const netnsName = `nspbench${process.pid}`;
const netns = `/run/netns/${netnsName}`;

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)] };
};
const fmt = (x) => `${x.toFixed(1)} ms`;
const time = async (fn) => {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
};

/** The plugins by hand: what a minimal runtime does, nothing more. */
function runPlugin(cniPath, command, conf, containerId) {
  return new Promise((resolve, reject) => {
    const bin = cniPath.map((d) => path.join(d, conf.type)).find((f) => existsSync(f));
    const child = spawn(bin, [], {
      env: {
        PATH: process.env.PATH,
        CNI_COMMAND: command,
        CNI_CONTAINERID: containerId,
        CNI_NETNS: netns,
        CNI_IFNAME: 'eth0',
        CNI_ARGS: 'IgnoreUnknown=1',
        CNI_PATH: cniPath.join(':'),
      },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${conf.type} ${command}: ${out}`))));
    child.stdin.end(JSON.stringify(conf));
  });
}

async function byHand(plan, runtimeConfig, containerId) {
  const list = plan.config;
  let prev;
  for (const p of list.plugins)
    prev = JSON.parse(await runPlugin(plan.options.cniPath, 'ADD', pluginStdin(list, p, runtimeConfig, prev), containerId));
  for (const p of [...list.plugins].reverse())
    await runPlugin(plan.options.cniPath, 'DEL', pluginStdin(list, p, runtimeConfig, prev), containerId);
}

const podSpec = (name, network, ports = []) => ({
  name,
  network,
  containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], ports }],
});

const bridgeExisted = (() => {
  try {
    execFileSync('ip', ['link', 'show', netOpts.bridge], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const medians = {};

try {
  execFileSync('ip', ['netns', 'add', netnsName]);
  const plan = await planPodNetwork(podSpec('bench', 'default', [{ containerPort: 80, hostPort: 18300 }]), root, netOpts);
  const runtimeConfig = { portMappings: plan.ports };
  const pin = path.join(root, 'netns-pin');
  const viaNspod = [];
  const viaHand = [];
  // One warm-up of each (the bridge and the shared portmap chains are made once), then alternate.
  await byHand(plan, runtimeConfig, 'bench-warm');
  for (let i = 0; i < RUNS; i++) {
    viaHand.push(await time(() => byHand(plan, runtimeConfig, `bench-hand-${i}`)));
    viaNspod.push(
      await time(async () => {
        const a = await attachPodNetwork({ root, pod: 'bench', podUid: String(i), netnsSource: netns, pin, plan });
        await detachPodNetwork(root, a.containerId);
      }),
    );
  }
  const n = stats(viaNspod);
  const h = stats(viaHand);
  console.log(`CNI attach+detach (bridge + portmap, one hostPort), ${RUNS} runs`);
  console.log(`  nspod:   min ${fmt(n.min)}  median ${fmt(n.median)}`);
  console.log(`  by hand: min ${fmt(h.min)}  median ${fmt(h.median)}`);
  console.log(`  ratio (median): ${(n.median / h.median).toFixed(2)} (target <= 1.2)`);

  for (const [label, network] of [
    ['network none', 'none'],
    ['built-in network', 'default'],
  ]) {
    const up = [];
    const down = [];
    for (let i = 0; i < RUNS; i++) {
      let pod;
      up.push(await time(async () => (pod = await Pod.create(podSpec(`bench-${i}`, network), { root, ...netOpts }))));
      down.push(await time(() => pod.remove({ gracePeriodSeconds: 0 })));
    }
    const u = stats(up);
    const d = stats(down);
    console.log(`pod with one busybox container, ${label}, ${RUNS} runs`);
    console.log(`  up:       min ${fmt(u.min)}  median ${fmt(u.median)}`);
    console.log(`  teardown: min ${fmt(d.min)}  median ${fmt(d.median)}`);
    medians[network] = { up: u.median, down: d.median };
  }
  const ratio = (k) => (medians.default[k] / medians.none[k]).toFixed(2);
  console.log(`  with vs without networking (median): up ratio ${ratio('up')}, teardown ratio ${ratio('down')}`);
} finally {
  for (const name of await Pod.list({ root }))
    await (await Pod.load(name, { root })).remove({ gracePeriodSeconds: 0 }).catch(() => undefined);
  await gcNetworks({ root }).catch(() => undefined);
  try {
    execFileSync('ip', ['netns', 'del', netnsName]);
  } catch {
    /* not made */
  }
  if (!bridgeExisted) {
    try {
      execFileSync('ip', ['link', 'del', netOpts.bridge]);
    } catch {
      /* not made */
    }
    await unguardLocalnet(netOpts.bridge); // the localnet chain lives as long as its bridge
  }
  rmSync(root, { recursive: true, force: true });
}
