/** `nspod port POD [PORT[/proto]]`: the host ports a pod publishes, as `docker port` prints them. */
import { NspodError } from '../../errors.js';
import { Pod } from '../../pod/pod.js';
import { podOptions, usageError, type GlobalOptions } from '../options.js';
import { out } from '../output.js';

/**
 * Without PORT: one line per published port, `8080/tcp -> 127.0.0.1:49153`; with PORT: its address alone
 * (`127.0.0.1:49153`), for `$(nspod port web 8080)`. The address is the port's hostIP, else 127.0.0.1 (it answers on every address).
 */
export async function port(name: string, wanted: string | undefined, g: GlobalOptions): Promise<number> {
  const m = wanted === undefined ? undefined : /^(\d+)(?:\/(tcp|udp))?$/i.exec(wanted);
  if (wanted !== undefined && !m) usageError(`port ${JSON.stringify(wanted)}: expected CONTAINER_PORT[/tcp|udp]`);
  const pod = await Pod.load(name, podOptions(g));
  const status = await pod.status();
  const mappings =
    status.network.mode === 'host'
      ? pod.spec.containers.flatMap((c) =>
          (c.ports ?? []).map((p) => ({
            containerPort: p.containerPort,
            hostPort: p.containerPort,
            protocol: p.protocol === 'UDP' ? 'udp' : 'tcp',
            hostIP: undefined,
          })),
        )
      : status.network.ports;
  const address = (p: { hostIP?: string | undefined; hostPort: number }) => `${p.hostIP ?? '127.0.0.1'}:${p.hostPort}`;
  if (!m) {
    for (const p of mappings) out(`${p.containerPort}/${p.protocol} -> ${address(p)}\n`);
    return 0;
  }
  const protocol = (m[2] ?? 'tcp').toLowerCase();
  const found = mappings.filter((p) => p.containerPort === Number(m[1]) && p.protocol === protocol);
  if (found.length === 0) {
    throw new NspodError('PORT_NOT_PUBLISHED', `pod ${name} publishes no host port for ${m[1]}/${protocol}`, {
      hint:
        mappings.length > 0 ? `it publishes ${mappings.map((p) => `${p.containerPort}/${p.protocol}`).join(', ')}` : 'it publishes none',
    });
  }
  for (const p of found) out(`${address(p)}\n`);
  return 0;
}
