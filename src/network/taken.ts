/**
 * hostPorts a host process already holds. portmap publishes by DNAT and binds nothing, so a host process listening on
 * the port would quietly lose its traffic to the pod: a bind test (TCP: listen; UDP: bind) finds it before anything is
 * made, and /proc/net names the socket's owner where it can.
 */
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { NspodError } from '../errors.js';
import type { CniPortMapping } from './cni.js';
import { describePort } from './ports.js';

/** EADDRINUSE when a host process holds the port on that address (an address not on this host is no one's). */
async function bindTest(p: CniPortMapping): Promise<boolean> {
  const host = p.hostIP ?? '0.0.0.0';
  const inUse = (e: NodeJS.ErrnoException) => e.code === 'EADDRINUSE';
  if (p.protocol === 'udp') {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    return await new Promise<boolean>((resolve) => {
      socket.once('error', (e) => {
        socket.close();
        resolve(inUse(e));
      });
      socket.bind({ address: host, port: p.hostPort, exclusive: true }, () => socket.close(() => resolve(false)));
    });
  }
  const server = createServer();
  return await new Promise<boolean>((resolve) => {
    server.once('error', (e) => resolve(inUse(e)));
    server.listen({ host, port: p.hostPort, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/** Who holds the port, from /proc/net/{tcp,udp}[6] and the processes' fds: `process 12 (httpd) on 127.0.0.1:80`. */
export function portHolder(port: number, protocol: CniPortMapping['protocol']): string | undefined {
  const tables = protocol === 'udp' ? ['udp', 'udp6'] : ['tcp', 'tcp6'];
  const inodes = new Map<string, string>();
  for (const table of tables) {
    let text = '';
    try {
      text = readFileSync(`/proc/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [addr, portHex] = f[1]!.split(':');
      // TCP: LISTEN (0A) only; UDP: any bound socket.
      if (Number.parseInt(portHex ?? '', 16) !== port || (protocol !== 'udp' && f[3] !== '0A')) continue;
      inodes.set(f[9]!, addr!.length === 8 ? ipv4FromHex(addr!) : '[::]');
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (inode && inodes.has(inode)) {
        let comm = '?';
        try {
          comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        } catch {
          // gone meanwhile
        }
        return `process ${pid} (${comm}) on ${inodes.get(inode)}:${port}`;
      }
    }
  }
  return `a socket on ${[...inodes.values()][0]}:${port}`;
}

/** /proc/net's little-endian hex IPv4 address. */
function ipv4FromHex(hex: string): string {
  return [6, 4, 2, 0].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join('.');
}

/** Refuses the first hostPort a host process holds, naming the port and, where /proc/net tells, the process. */
export async function assertPortsNotTaken(ports: readonly CniPortMapping[]): Promise<void> {
  for (const p of ports) {
    if (p.hostPort === 0 || !(await bindTest(p))) continue;
    const holder = portHolder(p.hostPort, p.protocol);
    throw new NspodError('NETWORK_FAILED', `hostPort ${describePort(p)} is taken on this host${holder ? ` by ${holder}` : ''}`, {
      hint: 'the pod would take its traffic over: choose another hostPort, or stop what listens there',
    });
  }
}
