/** Facts about this host as a Kubernetes node: its name, its addresses, its CPUs and memory (what the downward API reports). */
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface NodeFacts {
  nodeName: string;
  /** IPv4 addresses, that of the default route's interface first. */
  hostIPs: string[];
  cpus: number;
  memoryBytes: number;
}

/** The interface of the IPv4 default route (/proc/net/route), if there is one. */
function defaultRouteInterface(): string | undefined {
  const text = (() => {
    try {
      return readFileSync('/proc/net/route', 'utf8');
    } catch {
      return '';
    }
  })();
  for (const line of text.split('\n').slice(1)) {
    const [iface, destination] = line.trim().split(/\s+/);
    if (destination === '00000000' && iface) return iface;
  }
  return undefined;
}

export function nodeFacts(): NodeFacts {
  const interfaces = os.networkInterfaces();
  const first = defaultRouteInterface();
  const names = Object.keys(interfaces).sort((a, b) => Number(b === first) - Number(a === first));
  const hostIPs = names.flatMap((n) => (interfaces[n] ?? []).filter((a) => a.family === 'IPv4' && !a.internal).map((a) => a.address));
  return { nodeName: os.hostname(), hostIPs: [...new Set(hostIPs)], cpus: os.availableParallelism(), memoryBytes: os.totalmem() };
}
