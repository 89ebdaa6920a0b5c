/** hostPorts: the pod's published ports as CNI port mappings, and the checks that keep two pods off one port. */
import { NspodError } from '../errors.js';
import type { PodSpec, PortSpec } from '../spec/spec.js';
import type { CniPortMapping } from './cni.js';

export interface PublishedPort extends CniPortMapping {
  container: string;
}

/** A container port with a hostPort as a port mapping (protocol lower-case, as portmap wants it; no hostIP: every address). */
export function portMapping(p: PortSpec & { hostPort: number }): CniPortMapping {
  const mapping: CniPortMapping = { hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol === 'UDP' ? 'udp' : 'tcp' };
  if (p.hostIP !== undefined && p.hostIP !== '' && p.hostIP !== '0.0.0.0') mapping.hostIP = p.hostIP;
  return mapping;
}

/** Every container port that asks for a hostPort, as a port mapping. */
export function publishedPorts(spec: PodSpec): PublishedPort[] {
  const out: PublishedPort[] = [];
  for (const c of spec.containers) {
    for (const p of c.ports ?? [])
      if (p.hostPort !== undefined) out.push({ container: c.name, ...portMapping({ ...p, hostPort: p.hostPort }) });
  }
  return out;
}

/**
 * Two mappings collide when protocol and port match and their host addresses overlap (no hostIP means every address).
 * hostPort 0 is no port yet (any free one is chosen when the pod is attached): it collides with nothing.
 */
export function portsCollide(a: CniPortMapping, b: CniPortMapping): boolean {
  return (
    a.hostPort !== 0 &&
    a.protocol === b.protocol &&
    a.hostPort === b.hostPort &&
    (a.hostIP === undefined || b.hostIP === undefined || a.hostIP === b.hostIP)
  );
}

export function describePort(p: CniPortMapping): string {
  return `${p.hostIP ?? '0.0.0.0'}:${p.hostPort}/${p.protocol}`;
}

/** The pod's ports as the network sees them: no hostPort on a pod with network "none", none taken twice inside the pod, hostNetwork's rule. */
export function validatePodNetwork(spec: PodSpec): void {
  const bad = (field: string, why: string): never => {
    throw new NspodError('INVALID_SPEC', `${field}: ${why}`);
  };
  for (const [i, c] of spec.containers.entries()) {
    for (const [k, p] of (c.ports ?? []).entries()) {
      const at = `containers[${i}].ports[${k}]`;
      if (p.hostPort === undefined) continue;
      if (spec.hostNetwork && p.hostPort === 0) {
        bad(
          `${at}.hostPort`,
          `a hostNetwork pod listens on the host itself: it cannot take a random hostPort (0); give ${p.containerPort}`,
        );
      }
      if (spec.hostNetwork && p.hostPort !== p.containerPort) {
        bad(`${at}.hostPort`, `a hostNetwork pod listens on the host itself: hostPort must equal containerPort (${p.containerPort})`);
      }
      if (!spec.hostNetwork && spec.network === 'none') bad(`${at}.hostPort`, 'a pod with network "none" cannot publish ports');
    }
  }
  const ports = publishedPorts(spec);
  for (const [i, a] of ports.entries()) {
    const clash = ports.slice(0, i).find((b) => portsCollide(a, b));
    if (clash) bad(`containers ${clash.container} and ${a.container}`, `both ask for hostPort ${describePort(a)}`);
  }
}

/** The first mapping of `wanted` that another pod already holds, with that pod's name. */
export function findPortConflict(
  wanted: CniPortMapping[],
  held: { pod: string; ports: CniPortMapping[] }[],
): { port: CniPortMapping; pod: string } | undefined {
  for (const port of wanted) {
    for (const other of held) {
      if (other.ports.some((p) => portsCollide(port, p))) return { port, pod: other.pod };
    }
  }
  return undefined;
}

/**
 * The host port a container port is published on: from the attachment's mappings (where a hostPort 0 became the
 * port chosen for it); on the host network, the port itself. Undefined when it is not published.
 */
export function hostPortOf(
  spec: PodSpec,
  mappings: CniPortMapping[],
  containerPort: number,
  protocol: 'TCP' | 'UDP' = 'TCP',
): number | undefined {
  if (spec.hostNetwork) return containerPort;
  const proto = protocol === 'UDP' ? 'udp' : 'tcp';
  const found = mappings.find((m) => m.containerPort === containerPort && m.protocol === proto && m.hostPort !== 0);
  return found?.hostPort;
}
