/**
 * Host ports must not open the host's loopback. portmap with `snat: true` (the built-in network's) sets
 * `route_localnet=1` on the bridge so that 127.0.0.1:hostPort works; that also lets a pod with CAP_NET_RAW send packets
 * to 127.0.0.1 through the bridge and reach services bound to the host's loopback (CVE-2020-8558's pattern). As
 * kube-proxy does since, a rule drops packets to 127.0.0.0/8 that arrive from the bridge and are neither a reply nor
 * DNAT'ed: in a chain of nspod's own per bridge (`NSPOD-LN-<bridge>`, jumped to from INPUT), made before the first
 * pod's ADD and kept while the bridge exists (making and removing it per pod cost 7 iptables calls a cycle);
 * unguardLocalnet, the one place that removes it, runs when a detach finds the bridge gone and wherever a bridge is deleted.
 */
import { existsSync } from 'node:fs';
import { runProgram } from '../host/program.js';
import { NspodError } from '../errors.js';
import type { CniConfList } from './cni.js';

/** The chain of one bridge (iptables allows 28 characters; a bridge name has at most 15). */
export function localnetChain(bridge: string): string {
  return `NSPOD-LN-${bridge}`;
}

/** kube-proxy's rule (KUBE-FIREWALL's "block incoming localnet connections"), for packets arriving from `bridge`. */
export function localnetRule(bridge: string): string[] {
  return [
    '-i',
    bridge,
    '!',
    '-s',
    '127.0.0.0/8',
    '-d',
    '127.0.0.0/8',
    '-m',
    'comment',
    '--comment',
    `nspod: block localnet from ${bridge} (CVE-2020-8558)`,
    '-m',
    'conntrack',
    '!',
    '--ctstate',
    'RELATED,ESTABLISHED,DNAT',
    '-j',
    'DROP',
  ];
}

/** The bridge whose pods a conflist's portmap opens the loopback to (a bridge plugin, and portmap with snat, its default); else undefined. */
export function localnetBridge(config: CniConfList): string | undefined {
  const portmap = config.plugins.find((p) => p.type === 'portmap');
  if (!portmap || (portmap as { snat?: boolean }).snat === false) return undefined;
  const bridge = config.plugins.find((p) => p.type === 'bridge') as { bridge?: string } | undefined;
  if (!bridge) return undefined;
  return bridge.bridge ?? 'cni0';
}

async function iptables(...args: string[]) {
  return await runProgram('iptables', ['-w', '-t', 'filter', ...args]);
}

async function must(what: string, ...args: string[]): Promise<void> {
  const r = await iptables(...args);
  if (!r.ok) {
    throw new NspodError('NETWORK_FAILED', `${what}: ${r.message}${r.stderr ? `: ${r.stderr.trim()}` : ''}`, {
      hint: 'nspod needs iptables (apt-get install iptables) to keep pods off the host loopback',
    });
  }
}

/** The chain, its rule and INPUT's jump to it, each made unless there: idempotent, and safe beside another process doing the same. */
export async function guardLocalnet(bridge: string): Promise<void> {
  const chain = localnetChain(bridge);
  // The jump is made last: where it is, the chain and its rule are too (one call on every pod's ADD but the first).
  if ((await iptables('-C', 'INPUT', '-j', chain)).ok) return;
  if (!(await iptables('-S', chain)).ok) {
    const made = await iptables('-N', chain);
    if (!made.ok && !/already exists/i.test(made.stderr)) await must(`making iptables chain ${chain}`, '-N', chain);
  }
  if (!(await iptables('-C', chain, ...localnetRule(bridge))).ok)
    await must(`adding the localnet rule to ${chain}`, '-A', chain, ...localnetRule(bridge));
  if (!(await iptables('-C', 'INPUT', '-j', chain)).ok) await must(`jumping from INPUT to ${chain}`, '-I', 'INPUT', '1', '-j', chain);
}

/** INPUT's jumps (however many racing guards made), then the chain. Idempotent. */
export async function unguardLocalnet(bridge: string): Promise<void> {
  const chain = localnetChain(bridge);
  for (let i = 0; i < 16 && (await iptables('-C', 'INPUT', '-j', chain)).ok; i++) await iptables('-D', 'INPUT', '-j', chain);
  if ((await iptables('-S', chain)).ok) {
    await iptables('-F', chain);
    await iptables('-X', chain);
  }
}

/** Is the bridge there (in nspod's, the host's, network namespace)? Read from sysfs: no spawn. */
export function bridgeExists(bridge: string): boolean {
  return existsSync(`/sys/class/net/${bridge}`);
}
