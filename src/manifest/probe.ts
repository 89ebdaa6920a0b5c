/** Probes (startupProbe, readinessProbe, livenessProbe) and their handlers: exec, httpGet, tcpSocket. */
import type * as k8s from 'kubernetes-types/core/v1.js';
import { PROBE_DEFAULTS, PROBE_MINIMUMS, type PortSpec, type Probe, type ProbeKind } from '../spec/spec.js';
import type { Field } from './field.js';
import { applyTable, copier, onlyDefault, read, readList, readObject, unsupported, type Draft, type Handler, type Table } from './table.js';

export interface ProbeDraft {
  kind: ProbeKind;
  probe: Probe;
  /** A port given by name: resolved against the container's ports once they are all read. */
  named?: { field: Field; handler: 'httpGet' | 'tcpSocket' };
}

/** A handler's draft; `port` is the field of its port, when it has one. */
interface ActionDraft<A> extends Draft<A> {
  port?: Field;
}

type Exec = NonNullable<Probe['exec']>;
type HttpGet = NonNullable<Probe['httpGet']>;
type TcpSocket = NonNullable<Probe['tcpSocket']>;
type Header = NonNullable<HttpGet['httpHeaders']>[number];

/** Kubernetes' IntOrString: a number, or the name of one of the container's ports. */
function port(f: Field, d: ActionDraft<{ port: number | string }>): void {
  const value = f.scalar('a port number or name');
  if (typeof value !== 'number' && typeof value !== 'string') {
    f.fail(`${JSON.stringify(value)} must be a port number 1-65535 or the name of one of the container's ports`);
  }
  d.spec.port = typeof value === 'number' ? f.integer() : value;
  d.port = f;
}

const LOCALHOST_ONLY = unsupported('probes connect to 127.0.0.1 inside the pod: remove host');

const EXEC_ACTION: Table<k8s.ExecAction, Draft<Exec>> = {
  command: copier<Exec>()('command', read.strings),
};

const header = copier<Header>();

const HTTP_HEADER: Table<k8s.HTTPHeader, Draft<Header>> = {
  name: header('name', read.string),
  value: header('value', read.string),
};

const HTTP_GET_ACTION: Table<k8s.HTTPGetAction, ActionDraft<HttpGet>> = {
  path: copier<HttpGet>()('path', read.string),
  port,
  httpHeaders: (f, d) => {
    d.spec.httpHeaders = readList(f, HTTP_HEADER, ['name']).map(({ value: h }) => ({ name: h.name, value: h.value ?? '' }));
  },
  scheme: onlyDefault('HTTP'),
  host: LOCALHOST_ONLY,
};

const TCP_SOCKET_ACTION: Table<k8s.TCPSocketAction, ActionDraft<TcpSocket>> = {
  port,
  host: LOCALHOST_ONLY,
};

/** Reads httpGet or tcpSocket; a port given by name is noted on the probe's draft, for finishProbe. */
function netAction<A extends { port: number | string }>(
  handler: 'httpGet' | 'tcpSocket',
  table: Table<unknown, ActionDraft<A>>,
  defaults: Partial<A>,
) {
  return (f: Field, d: ProbeDraft): A => {
    const draft: ActionDraft<A> = { spec: { ...defaults } };
    applyTable(f, table, draft);
    if (draft.spec.port === undefined) f.require('port');
    if (typeof draft.spec.port === 'string') d.named = { field: draft.port!, handler };
    return draft.spec as A;
  };
}

const httpGet = netAction<HttpGet>('httpGet', HTTP_GET_ACTION, { path: '/' });
const tcpSocket = netAction<TcpSocket>('tcpSocket', TCP_SOCKET_ACTION, {});

function timing(key: keyof typeof PROBE_MINIMUMS): Handler<ProbeDraft> {
  return (f, d) => {
    // The minimum is read here, not left to validatePodSpec, so that a manifest's message shows the value it has.
    d.probe[key] = f.integer(PROBE_MINIMUMS[key]);
  };
}

const PROBE: Table<k8s.Probe, ProbeDraft> = {
  exec: (f, d) => {
    d.probe.exec = readObject(f, EXEC_ACTION, ['command']);
  },
  httpGet: (f, d) => {
    d.probe.httpGet = httpGet(f, d);
  },
  tcpSocket: (f, d) => {
    d.probe.tcpSocket = tcpSocket(f, d);
  },
  grpc: unsupported('grpc probes are not supported: use exec, httpGet or tcpSocket'),
  initialDelaySeconds: timing('initialDelaySeconds'),
  periodSeconds: timing('periodSeconds'),
  timeoutSeconds: timing('timeoutSeconds'),
  successThreshold: timing('successThreshold'),
  failureThreshold: timing('failureThreshold'),
  terminationGracePeriodSeconds: unsupported('a killed container gets no grace period here'),
};

/** The rule of one probe field of a container: the probe, with Kubernetes' defaults filled in as the API server would. */
export function probeRule(kind: ProbeKind): Handler<{ probes: ProbeDraft[] }> {
  return (f, d) => {
    const draft: ProbeDraft = { kind, probe: {} };
    applyTable(f, PROBE, draft);
    for (const [key, value] of Object.entries(PROBE_DEFAULTS) as [keyof typeof PROBE_DEFAULTS, number][]) draft.probe[key] ??= value;
    d.probes.push(draft);
  };
}

/** The probe, a port given by name resolved to the number of the container's port of that name, as the kubelet does. */
export function finishProbe(d: ProbeDraft, ports: PortSpec[]): Probe {
  if (!d.named) return d.probe;
  const { field, handler } = d.named;
  const name = field.string();
  const number = ports.find((p) => p.name === name)?.containerPort;
  if (number === undefined) {
    const names = ports.map((p) => p.name).filter(Boolean);
    const hint = names.length > 0 ? `its named ports: ${names.join(', ')}` : 'name one under ports, or give the number';
    field.fail(`no port named ${JSON.stringify(name)} in this container's ports`, hint);
  }
  return { ...d.probe, [handler]: { ...d.probe[handler], port: number } };
}
