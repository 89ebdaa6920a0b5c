/** A container's `lifecycle`: the postStart and preStop hooks (exec, httpGet, sleep; tcpSocket as Kubernetes keeps it) and stopSignal. */
import type * as k8s from 'kubernetes-types/core/v1.js';
import type { Lifecycle, LifecycleHandler } from '../spec/spec.js';
import type { Field } from './field.js';
import { applyTable, copier, onlyDefault, read, readObject, unsupported, type Draft, type Table } from './table.js';

type HttpGet = NonNullable<LifecycleHandler['httpGet']>;
type TcpSocket = NonNullable<LifecycleHandler['tcpSocket']>;

/** Kubernetes' IntOrString: a port number, or the name of one of the container's ports (looked up when the hook runs). */
function port(f: Field): number | string {
  const value = f.scalar('a port number or name');
  if (typeof value === 'number') return f.integer();
  if (typeof value !== 'string')
    f.fail(`${JSON.stringify(value)} must be a port number 1-65535 or the name of one of the container's ports`);
  return value;
}

const LOCALHOST_ONLY = unsupported("hooks connect to 127.0.0.1 inside the pod's network namespace: remove host");

const HTTP_GET: Table<k8s.HTTPGetAction, Draft<HttpGet>> = {
  path: copier<HttpGet>()('path', read.string),
  port: copier<HttpGet>()('port', port),
  scheme: onlyDefault('HTTP'),
  host: LOCALHOST_ONLY,
  httpHeaders: unsupported('a hook sends no headers here: remove httpHeaders'),
};

const TCP_SOCKET: Table<k8s.TCPSocketAction, Draft<TcpSocket>> = {
  port: copier<TcpSocket>()('port', port),
  host: LOCALHOST_ONLY,
};

type Exec = NonNullable<LifecycleHandler['exec']>;
type Sleep = NonNullable<LifecycleHandler['sleep']>;
const EXEC: Table<k8s.ExecAction, Draft<Exec>> = { command: copier<Exec>()('command', read.strings) };
const SLEEP: Table<k8s.SleepAction, Draft<Sleep>> = { seconds: copier<Sleep>()('seconds', read.integer) };

const handler = copier<LifecycleHandler>();
const HANDLER: Table<k8s.LifecycleHandler, Draft<LifecycleHandler>> = {
  exec: handler('exec', (f) => readObject(f, EXEC, ['command'])),
  httpGet: handler('httpGet', (f) => readObject(f, HTTP_GET, ['port'], { path: '/' })),
  sleep: handler('sleep', (f) => readObject(f, SLEEP, ['seconds'])),
  tcpSocket: (f, d) => {
    f.warn('deprecated: Kubernetes keeps tcpSocket in hooks for old manifests and fails such a hook when it runs; nspod does the same');
    d.spec.tcpSocket = readObject(f, TCP_SOCKET, ['port']);
  },
};

const lifecycle = copier<Lifecycle>();
const LIFECYCLE: Table<k8s.Lifecycle, Draft<Lifecycle>> = {
  postStart: lifecycle('postStart', (f) => readObject(f, HANDLER)),
  preStop: lifecycle('preStop', (f) => readObject(f, HANDLER)),
  stopSignal: lifecycle('stopSignal', read.string),
};

/** Reads `lifecycle`; its values (one handler, a known signal, a sleep within the grace period) are validatePodSpec's. */
export function readLifecycle(f: Field): { lifecycle: Lifecycle; stopSignal?: Field } {
  const draft: Draft<Lifecycle> = { spec: {} };
  applyTable(f, LIFECYCLE, draft);
  const stopSignal = f.get('stopSignal');
  return stopSignal && !stopSignal.isNull ? { lifecycle: draft.spec, stopSignal } : { lifecycle: draft.spec };
}
