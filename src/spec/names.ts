/**
 * The syntax of the names a PodSpec holds (Kubernetes' rules): DNS labels, label and annotation keys, port names,
 * HTTP header names, IPv4 addresses, Linux capabilities; and the path syntax that names a PodSpec field.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Kubernetes label values and the name part of label and annotation keys. */
const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** RFC 7230's token: what an HTTP header name is made of. */
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Kubernetes' DNS-1123 label rule, with a reason when a name breaks it. */
export function dnsLabelProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'must be a non-empty string';
  if (name.length > 63) return `must be at most 63 characters (it has ${name.length})`;
  if (!DNS_LABEL.test(name)) return "must consist of lowercase letters, digits and '-', and start and end with a letter or digit";
  return undefined;
}

/** Kubernetes' DNS-1123 subdomain rule (the names of ConfigMaps and Secrets), with a reason when a name breaks it. */
export function dnsSubdomainProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'must be a non-empty string';
  if (name.length > 253) return `must be at most 253 characters (it has ${name.length})`;
  if (!DNS_SUBDOMAIN.test(name)) return "must consist of lowercase letters, digits, '-' and '.', and start and end with a letter or digit";
  return undefined;
}

/** Why `key` is not a key of a ConfigMap or Secret (letters, digits, '-', '_', '.'; not `.`, `..` or `..x`), or undefined. */
export function configKeyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'must be a non-empty string';
  if (key.length > 253) return `must be at most 253 characters (it has ${key.length})`;
  if (!/^[-._a-zA-Z0-9]+$/.test(key)) return `${JSON.stringify(key)} must consist of letters, digits, '-', '_' or '.'`;
  if (key === '.' || key === '..' || key.startsWith('..')) return `${JSON.stringify(key)} must not be '.' or '..', nor start with '..'`;
  return undefined;
}

/** The kubelet's test of an environment variable name taken from a ConfigMap or Secret by envFrom (`1badkey` fails it). */
export function isEnvVarName(name: string): boolean {
  return /^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(name);
}

/** Why `key` is not a label or annotation key (`[prefix/]name`), or undefined. */
export function metadataKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
    return 'its prefix must be a DNS subdomain (example.com/)';
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return "its name must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  }
  return undefined;
}

/** Why `value` is not a label value, or undefined. */
export function labelValueProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length > 63 || (value !== '' && !QUALIFIED_NAME.test(value))) {
    return `invalid label value ${JSON.stringify(value)}: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** A port name is an IANA service name: what Kubernetes requires of it. */
export function portNameProblem(name: unknown): string | undefined {
  const ok =
    typeof name === 'string' &&
    name.length <= 15 &&
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name) &&
    /[a-z]/.test(name) &&
    !name.includes('--');
  if (ok) return undefined;
  return `${JSON.stringify(name)} must be at most 15 lowercase letters, digits and '-' (not doubled), with a letter`;
}

export function isHttpHeaderName(name: unknown): boolean {
  return typeof name === 'string' && HTTP_TOKEN.test(name);
}

export function isIPv4(s: string): boolean {
  const m = IPV4.exec(s);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
}

/** Every capability of Linux 5.9 and later, for privileged containers. */
export const ALL_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/** `NET_ADMIN`, `cap_net_admin` and `CAP_NET_ADMIN` all name one capability. */
export function capabilityName(name: string): string {
  const upper = name.toUpperCase();
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

/** A capability a container can add or drop: one of Linux's, or ALL. */
export function isCapability(name: unknown): boolean {
  if (typeof name !== 'string') return false;
  const full = capabilityName(name);
  return full === 'CAP_ALL' || ALL_CAPABILITIES.includes(full);
}

/** The path of field `key` of the object at `parent`: `containers[0].name`, `labels["app.kubernetes.io/name"]`. */
export function fieldPath(parent: string, key: string): string {
  const segment = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key);
  if (parent === '') return segment;
  return /^[A-Za-z_]/.test(segment) ? `${parent}.${segment}` : `${parent}[${segment}]`;
}

/** A field path cut into its segments, each with its separator: `a[0].b["c.d"]` → `a`, `[0]`, `.b`, `["c.d"]`. */
export function pathSegments(path: string): string[] {
  return path.match(/\.?[A-Za-z_][A-Za-z0-9_]*|\[(?:\d+|"(?:[^"\\]|\\.)*")\]|[^.[]+/g) ?? [];
}
