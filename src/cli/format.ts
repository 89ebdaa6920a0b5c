/** Pure formatting for the CLI: tables, ages, pod summaries. */
import type { PodStatus } from '../pod/status.js';
import type { PodSpec } from '../spec/spec.js';
import type { ConfigKind } from '../spec/config.js';
import { isApp, podOutcome } from '../spec/restart.js';

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** `45s`, `3m`, `2h`, `4d`, as kubectl writes ages. */
export function age(fromIso: string, now = Date.now()): string {
  const s = Math.max(0, Math.floor((now - Date.parse(fromIso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export interface PodSummary {
  name: string;
  ready: string;
  status: string;
  restarts: number;
  age: string;
  ip: string;
  pausePid: string;
  exitCodes: string;
}

export function summarize(spec: PodSpec, s: PodStatus, now = Date.now()): PodSummary {
  // READY and RESTARTS count the sidecars too, as kubectl does; the outcome and EXIT CODES are the apps'.
  const running = s.containers.filter((c) => !c.init);
  const apps = running.filter(isApp);
  const ready = running.filter((c) => c.ready).length;
  // A pod nspod stopped itself says why, as kubectl shows a pod's status.reason (DeadlineExceeded).
  let status: string = s.reason ?? s.phase;
  if (s.phase === 'Running') {
    const outcome = podOutcome(spec, s);
    if (apps.length > 0 && outcome) status = outcome.exitCode === 0 ? 'Completed' : 'Error';
    else if (running.some((c) => c.state !== 'running' && c.restartCount > 0)) status = 'CrashLoopBackOff';
    else if (running.some((c) => c.state !== 'running')) status = 'NotReady';
  }
  const exited = apps.filter((c) => c.exitCode !== undefined);
  return {
    name: s.name,
    ready: `${ready}/${running.length}`,
    status,
    restarts: running.reduce((n, c) => n + c.restartCount, 0),
    age: age(s.createdAt, now),
    ip: s.network?.podIP ?? (s.network?.mode === 'host' ? 'host' : '-'),
    pausePid: s.pause?.alive ? String(s.pause.pid) : '-',
    exitCodes: exited.length === 0 ? '-' : exited.map((c) => `${c.name}=${c.exitCode}`).join(','),
  };
}

const KINDS: Record<string, ConfigKind> = {
  configmap: 'ConfigMap',
  configmaps: 'ConfigMap',
  cm: 'ConfigMap',
  secret: 'Secret',
  secrets: 'Secret',
};

/** `configmap`, `secrets`, `cm` → the kind; undefined for any other word. */
export function configKind(word: string | undefined): ConfigKind | undefined {
  return word === undefined ? undefined : KINDS[word.toLowerCase()];
}

/** `90s`, `2m`, `1h`, `500ms` or plain seconds → milliseconds; undefined when it is none of these. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

export interface EventRow {
  pod: string;
  time: string;
  type: string;
  reason: string;
  container?: string | undefined;
  message: string;
}

export function eventsTable(events: EventRow[], now = Date.now()): string {
  return table(
    ['AGE', 'POD', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
    events.map((e) => [
      age(e.time, now),
      e.pod,
      e.type,
      e.reason,
      e.container ? `container/${e.container}` : 'pod',
      e.message.replace(/\s+/g, ' '),
    ]),
  );
}

export function psTable(rows: PodSummary[]): string {
  return table(
    ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'PAUSE PID', 'EXIT CODES'],
    rows.map((r) => [r.name, r.ready, r.status, String(r.restarts), r.age, r.ip, r.pausePid, r.exitCodes]),
  );
}
