/** `-p HOSTPORT:CONTAINERPORT[/udp]`, the way `docker run -p` takes it, added to a manifest's pod. */
import { usageError } from './options.js';
import type { PodSpec } from '../spec/spec.js';

export interface Publish {
  hostIP?: string;
  hostPort: number;
  containerPort: number;
  protocol: 'TCP' | 'UDP';
}

export function parsePublish(value: string): Publish {
  const m = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d+):(\d+)(?:\/(tcp|udp))?$/i.exec(value);
  const port = (s: string | undefined) => {
    const n = Number(s);
    return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
  };
  const hostPort = port(m?.[2]);
  const containerPort = port(m?.[3]);
  if (!m || hostPort === undefined || containerPort === undefined) {
    usageError(`--publish ${JSON.stringify(value)}: expected HOSTPORT:CONTAINERPORT[/udp] or IP:HOSTPORT:CONTAINERPORT, ports 1-65535`);
  }
  return { ...(m[1] ? { hostIP: m[1] } : {}), hostPort, containerPort, protocol: (m[4] ?? 'tcp').toUpperCase() as 'TCP' | 'UDP' };
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
