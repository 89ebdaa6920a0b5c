/**
 * hostPort 0: any free host port, chosen when the attachment intent is written (under the state root's port lock).
 * A port is free when no pod of the root holds it, nothing on the host is bound to it (a bind test), and no
 * other state root leased it: a lease is a file made with O_EXCL in a host-wide dir (like host-local's address
 * leases), so two creates at once, in one root or two, never get the same port. The lease names its attachment;
 * it goes with the attachment's release, and one whose attachment is gone and whose creator died is stale.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import { NspodError } from '../errors.js';
import { currentProcessIdentity, isProcessAlive, type ProcessIdentity } from '../host/proc.js';
import type { CniPortMapping } from './cni.js';
import { portsCollide } from './ports.js';

/** Host-wide, under /run: the ports' DNAT rules die with a reboot, and so must their leases. */
export const DEFAULT_PORT_LEASE_DIR = '/run/nspod-ports';

export interface PortRange {
  from: number;
  to: number;
}

/** A lease: which attachment holds the port, and the process that chose it. */
interface PortLease {
  root: string;
  containerId: string;
  creator: ProcessIdentity;
}

/** `FROM-TO` (`49152-60999`), or a one-line reason why not. */
export function portRangeProblem(value: string): string | undefined {
  const m = /^(\d+)-(\d+)$/.exec(value.trim());
  if (!m) return `${JSON.stringify(value)} must be a range FROM-TO, such as 49152-60999`;
  const [from, to] = [Number(m[1]), Number(m[2])];
  if (from < 1 || to > 65535 || from > to) return `${JSON.stringify(value)} must have 1 <= FROM <= TO <= 65535`;
  return undefined;
}

/** The range random host ports come from: `hostPortRange` (env NSPOD_HOST_PORT_RANGE), else the kernel's ephemeral range. */
export function hostPortRange(value: string | undefined): PortRange {
  if (value !== undefined && value !== '') {
    const problem = portRangeProblem(value);
    if (problem) throw new NspodError('INVALID_SPEC', `hostPortRange: ${problem}`);
    const [from, to] = value.trim().split('-').map(Number) as [number, number];
    return { from, to };
  }
  try {
    const [from, to] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (from && to && from <= to) return { from, to };
  } catch {
    // no procfs: the IANA dynamic range
  }
  return { from: 49152, to: 65535 };
}

/** The ports the kernel keeps out of the ephemeral range (net.ipv4.ip_local_reserved_ports): never chosen either. */
function reservedPorts(): (port: number) => boolean {
  let text = '';
  try {
    text = readFileSync('/proc/sys/net/ipv4/ip_local_reserved_ports', 'utf8').trim();
  } catch {
    return () => false;
  }
  const ranges = text
    .split(',')
    .filter(Boolean)
    .map((r) => r.split('-').map(Number))
    .map(([a, b]) => [a!, b ?? a!] as const);
  return (port) => ranges.some(([a, b]) => port >= a && port <= b);
}

function leaseFile(dir: string, protocol: string, port: number): string {
  return path.join(dir, `${protocol}-${port}`);
}

/** Can a socket of the host bind this port now (on `hostIP`, else every address)? Closed again at once. */
async function bindable(port: number, protocol: 'tcp' | 'udp', hostIP = '0.0.0.0'): Promise<boolean> {
  if (protocol === 'udp') {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: false });
    return await new Promise<boolean>((resolve) => {
      socket.once('error', () => {
        socket.close();
        resolve(false);
      });
      socket.bind({ port, address: hostIP, exclusive: true }, () => socket.close(() => resolve(true)));
    });
  }
  const server = net.createServer();
  return await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen({ port, host: hostIP, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Is the lease stale: its attachment gone and the process that chose it no longer running? */
async function staleLease(file: string): Promise<boolean> {
  const lease = await readFile(file, 'utf8')
    .then((t) => JSON.parse(t) as PortLease)
    .catch(() => undefined);
  if (!lease) return false; // being written, or foreign: left alone
  if (existsSync(path.join(lease.root, 'network', 'attachments', `${lease.containerId}.json`))) return false;
  return !isProcessAlive(lease.creator);
}

/** Takes the lease of one port; false when another attachment holds it. A stale lease is taken over. */
async function takeLease(dir: string, protocol: string, port: number, lease: PortLease): Promise<boolean> {
  const file = leaseFile(dir, protocol, port);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, JSON.stringify(lease), { flag: 'wx', mode: 0o600 });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (attempt > 0 || !(await staleLease(file))) return false;
      await rm(file, { force: true });
    }
  }
  return false;
}

export interface ChoosePortsInput {
  /** The pod's mappings; those with hostPort 0 get a port. */
  ports: CniPortMapping[];
  /** Mappings other pods of the state root hold. */
  held: CniPortMapping[];
  root: string;
  containerId: string;
  /** `FROM-TO`; default env NSPOD_HOST_PORT_RANGE, else the kernel's ephemeral range. */
  range?: string | undefined;
  leaseDir?: string | undefined;
}

/**
 * The mappings with every hostPort 0 replaced by a free port of the range, each leased host-wide for this
 * attachment. Starts at a random port of the range and walks it, so pods created at once rarely try the same one.
 */
export async function chooseHostPorts(input: ChoosePortsInput): Promise<CniPortMapping[]> {
  if (!input.ports.some((p) => p.hostPort === 0)) return input.ports;
  const range = hostPortRange(input.range ?? process.env.NSPOD_HOST_PORT_RANGE);
  const dir = input.leaseDir ?? process.env.NSPOD_PORT_LEASE_DIR ?? DEFAULT_PORT_LEASE_DIR;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const reserved = reservedPorts();
  const lease: PortLease = { root: path.resolve(input.root), containerId: input.containerId, creator: currentProcessIdentity() };
  const size = range.to - range.from + 1;
  const chosen: CniPortMapping[] = [];
  const out: CniPortMapping[] = [];
  for (const p of input.ports) {
    if (p.hostPort !== 0) {
      out.push(p);
      continue;
    }
    const start = randomInt(size);
    let found: CniPortMapping | undefined;
    for (let i = 0; i < size && !found; i++) {
      const candidate = { ...p, hostPort: range.from + ((start + i) % size) };
      if (reserved(candidate.hostPort)) continue;
      if ([...input.held, ...input.ports, ...chosen].some((h) => portsCollide(h, candidate))) continue;
      if (!(await bindable(candidate.hostPort, candidate.protocol, candidate.hostIP))) continue;
      if (await takeLease(dir, candidate.protocol, candidate.hostPort, lease)) found = candidate;
    }
    if (!found) {
      await releaseHostPortLeases(input.containerId, chosen, dir);
      throw new NspodError(
        'NETWORK_FAILED',
        `no free host port for containerPort ${p.containerPort}/${p.protocol} in ${range.from}-${range.to}`,
        {
          hint: 'free some, or give another range (hostPortRange, NSPOD_HOST_PORT_RANGE)',
        },
      );
    }
    chosen.push(found);
    out.push(found);
  }
  return out;
}

/** Removes the leases these mappings hold for this attachment (a lease another attachment holds stays). */
export async function releaseHostPortLeases(containerId: string, ports: CniPortMapping[], leaseDir?: string): Promise<void> {
  const dir = leaseDir ?? process.env.NSPOD_PORT_LEASE_DIR ?? DEFAULT_PORT_LEASE_DIR;
  for (const p of ports) {
    const file = leaseFile(dir, p.protocol, p.hostPort);
    const lease = await readFile(file, 'utf8')
      .then((t) => JSON.parse(t) as PortLease)
      .catch(() => undefined);
    if (lease?.containerId === containerId) await rm(file, { force: true });
  }
}

/** The leases of a dir (for tests and gc): `[{ file, containerId, root }]`. */
export function listHostPortLeases(
  leaseDir = process.env.NSPOD_PORT_LEASE_DIR ?? DEFAULT_PORT_LEASE_DIR,
): { file: string; lease: PortLease }[] {
  const out: { file: string; lease: PortLease }[] = [];
  for (const f of (() => {
    try {
      return readdirSync(leaseDir);
    } catch {
      return [] as string[];
    }
  })()) {
    try {
      out.push({ file: f, lease: JSON.parse(readFileSync(path.join(leaseDir, f), 'utf8')) as PortLease });
    } catch {
      // torn or foreign
    }
  }
  return out;
}
