/** `-p HOSTPORT:CONTAINERPORT[/udp]` and `-P`, the way `docker run` takes them, added to a manifest's pod. */
import { usageError } from './options.js';
import type { PodSpec } from '../spec/spec.js';

export interface Publish {
  hostIP?: string;
  hostPort: number;
  containerPort: number;
  protocol: 'TCP' | 'UDP';
}

/** `[IP:]HOSTPORT:CONTAINERPORT[/udp]`; HOSTPORT 0, or `CONTAINERPORT` alone, publishes on any free host port (as docker does). */
export function parsePublish(value: string): Publish {
  const m = /^(?:(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d+):)?(\d+)(?:\/(tcp|udp))?$/i.exec(value);
  const port = (s: string | undefined, min: number) => {
    const n = Number(s);
    return Number.isInteger(n) && n >= min && n < 65536 ? n : undefined;
  };
  const hostPort = m?.[2] === undefined ? 0 : port(m[2], 0);
  const containerPort = port(m?.[3], 1);
  if (!m || hostPort === undefined || containerPort === undefined) {
    usageError(
      `--publish ${JSON.stringify(value)}: expected [IP:]HOSTPORT:CONTAINERPORT[/udp] or CONTAINERPORT (a free host port), ports 1-65535 (host: 0 = any free)`,
    );
  }
  return { ...(m[1] ? { hostIP: m[1] } : {}), hostPort, containerPort, protocol: (m[4] ?? 'tcp').toUpperCase() as 'TCP' | 'UDP' };
}

/** `-P`: every containerPort of the app containers without a hostPort is published on a free one (hostPort 0). */
export function publishAll(spec: PodSpec): PodSpec {
  const containers = spec.containers.map((c) =>
    c.ports ? { ...c, ports: c.ports.map((p) => (p.hostPort === undefined ? { ...p, hostPort: 0 } : p)) } : c,
  );
  return { ...spec, containers };
}

/** Puts each published port on the container that declares its containerPort, else on the first container. */
export function applyPublish(spec: PodSpec, publish: Publish[]): PodSpec {
  const containers = spec.containers.map((c) => ({ ...c, ports: (c.ports ?? []).map((p) => ({ ...p })) }));
  for (const p of publish) {
    const owner =
      containers.find((c) => c.ports.some((x) => x.containerPort === p.containerPort && (x.protocol ?? 'TCP') === p.protocol)) ??
      containers[0]!;
    const existing = owner.ports.find((x) => x.containerPort === p.containerPort && (x.protocol ?? 'TCP') === p.protocol);
    const port = { containerPort: p.containerPort, hostPort: p.hostPort, protocol: p.protocol, ...(p.hostIP ? { hostIP: p.hostIP } : {}) };
    if (existing) Object.assign(existing, port);
    else owner.ports.push(port);
  }
  return { ...spec, containers };
}
