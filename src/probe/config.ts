/** The prober's config file: pure text from the pod's records (see pause/prober.c for the format). */
import { PROBE_DEFAULTS, resolveProbePort, type ContainerSpec, type Probe, type ProbeKind } from '../spec/spec.js';

export interface ProberContainer {
  spec: ContainerSpec;
  /** The runtime's container id: `<pod>.<container>`. */
  id: string;
  pidFile: string;
  exitFile: string;
}

export interface ProberConfigInput {
  podDir: string;
  runtime: { binary: string; root: string };
  /** The netns file httpGet and tcpSocket connect from: the pinned netns, else /proc/<pause>/ns/net. */
  netns: string;
  pausePid: number;
  containers: ProberContainer[];
}

const KIND_WORDS: Record<ProbeKind, string> = { startupProbe: 'startup', readinessProbe: 'readiness', livenessProbe: 'liveness' };

/** %XX for '%', space, control bytes and DEL, byte by byte (UTF-8); the empty string is %00. */
export function escapeField(value: string): string {
  if (value === '') return '%00';
  const out: number[] = [];
  for (const byte of Buffer.from(value, 'utf8')) {
    if (byte <= 0x20 || byte === 0x25 || byte === 0x7f) out.push(...Buffer.from(`%${byte.toString(16).padStart(2, '0')}`, 'ascii'));
    else out.push(byte);
  }
  // Bytes >= 0x80 pass through whole, so the text stays valid UTF-8.
  return Buffer.from(out).toString('utf8');
}

export function hasProbes(c: ContainerSpec): boolean {
  return c.startupProbe !== undefined || c.readinessProbe !== undefined || c.livenessProbe !== undefined;
}

function probeLine(index: number, c: ContainerSpec, kind: ProbeKind, p: Probe): string {
  const t = { ...PROBE_DEFAULTS, ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) } as Required<Probe>;
  const head = [
    index,
    KIND_WORDS[kind],
    t.initialDelaySeconds,
    t.periodSeconds,
    t.timeoutSeconds,
    t.successThreshold,
    t.failureThreshold,
  ].map(String);
  let handler: string[];
  if (p.exec) handler = ['exec', ...p.exec.command];
  else if (p.httpGet) {
    handler = ['http', String(resolveProbePort(c, p.httpGet.port)), p.httpGet.path ?? '/'];
    for (const h of p.httpGet.httpHeaders ?? []) handler.push(h.name, h.value);
  } else handler = ['tcp', String(resolveProbePort(c, p.tcpSocket!.port))];
  return ['probe', ...head, ...handler].map(escapeField).join(' ');
}

/** One record a line: pod, runtime, netns, pause, the containers, then their probes. */
export function proberConfig(input: ProberConfigInput): string {
  const lines = [
    ['pod', input.podDir],
    ['runtime', input.runtime.binary, input.runtime.root],
    ['netns', input.netns],
    ['pause', String(input.pausePid)],
  ].map((f) => f.map(escapeField).join(' '));
  input.containers.forEach((c) => lines.push(['container', c.spec.name, c.id, c.pidFile, c.exitFile].map(escapeField).join(' ')));
  input.containers.forEach((c, i) => {
    for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
      const probe = c.spec[kind];
      if (probe) lines.push(probeLine(i, c.spec, kind, probe));
    }
  });
  return `${lines.join('\n')}\n`;
}
