/**
 * The downward API: what `fieldRef` and `resourceFieldRef` say about a pod and its containers, as the kubelet
 * resolves them, from plain facts (the pod, its IPs, the host's name, addresses, CPUs and memory). Pure.
 */

/** A field of the pod: `metadata.name`, `metadata.labels['app']`, `status.podIP`, ... (ENV_FIELD_PATHS, VOLUME_FIELD_PATHS). */
export interface FieldRef {
  fieldPath: string;
  /** Only `v1`. */
  apiVersion?: string;
}

/** A container's limit or request: `limits.cpu`, `limits.memory`, `requests.cpu`, `requests.memory`. */
export interface ResourceFieldRef {
  resource: string;
  /** Default: the container the variable is in (required in a volume). */
  containerName?: string;
  /** The unit the value is given in: cores for cpu (1 or 0.001), bytes for memory (1, 1e3..1e18, 2^10..2^60); default 1. */
  divisor?: number;
}

/** What of a pod the downward API reads (a PodSpec is one). */
export interface DownwardPod {
  name: string;
  labels?: Record<string, string> | undefined;
  annotations?: Record<string, string> | undefined;
  hostNetwork?: boolean | undefined;
  serviceAccountName?: string | undefined;
}

/** What of a container's resources it reads (a ContainerSpec's are these). */
export interface DownwardContainer {
  resources?:
    | {
        cpu?: number | undefined;
        cpuRequest?: number | undefined;
        memoryBytes?: number | undefined;
        memoryRequestBytes?: number | undefined;
      }
    | undefined;
}

/** What the pod and its host are, once the pod has its network. */
export interface PodFacts {
  spec: DownwardPod;
  uid: string;
  /** The pod's IPv4 addresses (none without a network of its own). */
  podIPs: string[];
  /** `spec.nodeName`: the host's name. */
  nodeName: string;
  hostIPs: string[];
  /** The node's allocatable: what a limit that is not set defaults to. */
  cpus: number;
  memoryBytes: number;
}

/** The namespace every pod is in here. */
export const POD_NAMESPACE = 'default';

/** fieldRef paths an env var may name (labels['k'] and annotations['k'] besides). */
export const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
/** fieldRef paths a downwardAPI volume file may name (labels['k'] and annotations['k'] besides). */
export const VOLUME_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'metadata.labels', 'metadata.annotations'];
/** resourceFieldRef resources, and the divisors Kubernetes allows for each kind. */
export const RESOURCE_FIELDS = ['limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory'];
export const CPU_DIVISORS = [1, 0.001];
export const MEMORY_DIVISORS = [1, 1e3, 1e6, 1e9, 1e12, 1e15, 1e18, 2 ** 10, 2 ** 20, 2 ** 30, 2 ** 40, 2 ** 50, 2 ** 60];

const SUBSCRIPT = /^metadata\.(labels|annotations)\['(.*)'\]$/;

/** Why a fieldRef path is not one `where` (env or volume) allows, or undefined. */
export function fieldPathProblem(fieldPath: unknown, where: 'env' | 'volume'): string | undefined {
  if (typeof fieldPath !== 'string') return 'must be a string';
  const allowed = where === 'env' ? ENV_FIELD_PATHS : VOLUME_FIELD_PATHS;
  if (allowed.includes(fieldPath) || SUBSCRIPT.test(fieldPath)) return undefined;
  return `${JSON.stringify(fieldPath)} is not a field the downward API gives ${where === 'env' ? 'an env var' : 'a volume file'}: one of ${allowed.join(', ')}, metadata.labels['KEY'], metadata.annotations['KEY']`;
}

/** `key="value"` lines, sorted by key, as the kubelet writes labels and annotations (values quoted as Go's %q does). */
export function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(map![k])}`)
    .join('\n');
}

/** The value of a fieldRef for this pod. */
export function resolveFieldRef(ref: FieldRef, facts: PodFacts): string {
  const { spec } = facts;
  const subscript = SUBSCRIPT.exec(ref.fieldPath);
  if (subscript) return (subscript[1] === 'labels' ? spec.labels : spec.annotations)?.[subscript[2]!] ?? '';
  const hostNetwork = spec.hostNetwork === true;
  // A pod on the host's network has the host's addresses.
  const podIPs = hostNetwork ? facts.hostIPs : facts.podIPs;
  switch (ref.fieldPath) {
    case 'metadata.name':
      return spec.name;
    case 'metadata.namespace':
      return POD_NAMESPACE;
    case 'metadata.uid':
      return facts.uid;
    case 'metadata.labels':
      return formatMap(spec.labels);
    case 'metadata.annotations':
      return formatMap(spec.annotations);
    case 'spec.nodeName':
      return facts.nodeName;
    case 'spec.serviceAccountName':
      return spec.serviceAccountName ?? 'default';
    case 'status.hostIP':
      return facts.hostIPs[0] ?? '';
    case 'status.hostIPs':
      return facts.hostIPs.join(',');
    case 'status.podIP':
      return podIPs[0] ?? '';
    case 'status.podIPs':
      return podIPs.join(',');
    default:
      throw new Error(`unknown fieldRef ${ref.fieldPath}`);
  }
}

/**
 * The value of a resourceFieldRef: the container's limit (the node's allocatable when it has none) or request (0 when
 * it has none, unless a limit is set: a request defaults to its limit), divided by the divisor and rounded up.
 */
export function resolveResourceFieldRef(ref: ResourceFieldRef, container: DownwardContainer, facts: PodFacts): string {
  const r = container.resources ?? {};
  const [kind, resource] = ref.resource.split('.') as ['limits' | 'requests', 'cpu' | 'memory'];
  let amount: number;
  if (resource === 'cpu') {
    const limit = r.cpu;
    amount = kind === 'limits' ? (limit ?? facts.cpus) : (r.cpuRequest ?? limit ?? 0);
  } else {
    const limit = r.memoryBytes;
    amount = kind === 'limits' ? (limit ?? facts.memoryBytes) : (r.memoryRequestBytes ?? limit ?? 0);
  }
  const divisor = ref.divisor ?? 1;
  // CPU in millicores first, so that 250m / 1 is 1 and 250m / 1m is 250, with no float noise.
  if (resource === 'cpu') return String(Math.ceil(Math.round(amount * 1000) / Math.round(divisor * 1000)));
  return String(Math.ceil(amount / divisor));
}
