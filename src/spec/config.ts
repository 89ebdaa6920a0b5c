/**
 * ConfigMaps and Secrets as nspod keeps them (Kubernetes' `v1 ConfigMap` and `v1 Secret`), their rules, and the files a
 * volume of one holds: Kubernetes' key-to-path mapping (`items`, `defaultMode`, `optional`), pure.
 */
import { NspodError } from '../errors.js';
import { configKeyProblem, dnsSubdomainProblem, fieldPath } from './names.js';

export interface ConfigMapObject {
  kind: 'ConfigMap';
  name: string;
  /** UTF-8 values. */
  data?: Record<string, string>;
  /** Base64 values. */
  binaryData?: Record<string, string>;
  immutable?: boolean;
  labels?: Record<string, string>;
}

export interface SecretObject {
  kind: 'Secret';
  name: string;
  /** `Opaque` by default. */
  type?: string;
  /** Base64 values (a manifest's `stringData` is merged in, as the API server does). */
  data?: Record<string, string>;
  immutable?: boolean;
  labels?: Record<string, string>;
}

/** One key of a ConfigMap or Secret as a file of a volume (Kubernetes `KeyToPath`). */
export interface KeyToPath {
  key: string;
  /** Relative, without `..`. */
  path: string;
  /** The file's mode (0400); default: the volume's defaultMode. */
  mode?: number;
}

export type ConfigObject = ConfigMapObject | SecretObject;
export type ConfigKind = ConfigObject['kind'];

/** Kubernetes' limit on the total size of a ConfigMap's or Secret's data. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** The file mode of a projected key when neither `items[].mode` nor `defaultMode` gives one. */
export const DEFAULT_FILE_MODE = 0o644;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Every value of the object as bytes, key by key; a ConfigMap's binaryData only for volumes (`env` reads `data` alone, as the kubelet does). */
export function configValues(o: ConfigObject, binary = true): Map<string, Buffer> {
  const values = new Map<string, Buffer>();
  if (o.kind === 'ConfigMap') for (const [k, v] of Object.entries(o.data ?? {})) values.set(k, Buffer.from(v, 'utf8'));
  const base64 = o.kind === 'ConfigMap' ? (binary ? o.binaryData : undefined) : o.data;
  for (const [k, v] of Object.entries(base64 ?? {})) values.set(k, Buffer.from(v, 'base64'));
  return values;
}

/** Why the object breaks Kubernetes' rules, as `field: why` lines; empty when it is valid. */
export function configObjectProblems(o: ConfigObject): string[] {
  const out: string[] = [];
  const nameProblem = dnsSubdomainProblem(o.name);
  if (nameProblem) out.push(`metadata.name: ${JSON.stringify(o.name)} ${nameProblem}`);
  const maps: [string, Record<string, string> | undefined, boolean][] =
    o.kind === 'ConfigMap'
      ? [
          ['data', o.data, false],
          ['binaryData', o.binaryData, true],
        ]
      : [['data', o.data, true]];
  const seen = new Set<string>();
  let size = 0;
  for (const [field, values, base64] of maps) {
    for (const [key, value] of Object.entries(values ?? {})) {
      const at = fieldPath(field, key);
      const keyProblem = configKeyProblem(key);
      if (keyProblem) out.push(`${at}: invalid key: ${keyProblem}`);
      if (seen.has(key)) out.push(`${at}: the key is in data and in binaryData`);
      seen.add(key);
      if (typeof value !== 'string') out.push(`${at}: must be a string`);
      else if (base64 && !BASE64.test(value)) out.push(`${at}: is not base64`);
      else size += base64 ? Buffer.from(value, 'base64').length : Buffer.byteLength(value);
    }
  }
  if (size > MAX_CONFIG_BYTES) out.push(`data: ${size} bytes is more than a ${o.kind} may hold (${MAX_CONFIG_BYTES})`);
  return out;
}

/** Throws INVALID_SPEC naming the first rule the object breaks. */
export function validateConfigObject(o: ConfigObject): void {
  const problems = configObjectProblems(o);
  if (problems.length > 0) throw new NspodError('INVALID_SPEC', `${o.kind} ${o.name}: ${problems[0]}`, { problems });
}

/** A missing ConfigMap or Secret, or a key it lacks: what the pod cannot start without. */
export function missingConfig(kind: ConfigKind, name: string, key: string | undefined, where: string): NspodError {
  const what = key === undefined ? `${kind} ${name} does not exist` : `${kind} ${name} has no key ${JSON.stringify(key)}`;
  const create = kind === 'ConfigMap' ? `nspod create configmap ${name}` : `nspod create secret generic ${name}`;
  return new NspodError('CONFIG_NOT_FOUND', `${where}: ${what}`, {
    hint:
      key === undefined
        ? `create it (${create} ..., or a ${kind} document in a file given to nspod run), or mark the reference optional: true`
        : 'add the key, or mark the reference optional: true',
  });
}

/** A file a volume holds: its path below the volume, its mode, its bytes. */
export interface ProjectedFile {
  path: string;
  mode: number;
  content: Buffer;
  /** Masked wherever it would be printed (a Secret's value). */
  secret?: boolean;
}

/**
 * The files of a configMap or secret volume (or projection): every key as a file of its name, or with `items` only
 * those keys, at their paths; `items[].mode`, else `defaultMode`, else 0644. Throws CONFIG_NOT_FOUND naming a key
 * `items` asks for that the object lacks (unless the source is optional).
 */
export function keyFiles(
  object: ConfigObject,
  items: readonly KeyToPath[] | undefined,
  defaultMode: number | undefined,
  optional: boolean,
  where: string,
): ProjectedFile[] {
  const values = configValues(object);
  const mode = defaultMode ?? DEFAULT_FILE_MODE;
  const secret = object.kind === 'Secret';
  if (!items || items.length === 0) return [...values].map(([key, content]) => ({ path: key, mode, content, secret }));
  const out: ProjectedFile[] = [];
  for (const item of items) {
    const content = values.get(item.key);
    if (content === undefined) {
      if (optional) continue;
      throw missingConfig(object.kind, object.name, item.key, where);
    }
    out.push({ path: item.path, mode: item.mode ?? mode, content, secret });
  }
  return out;
}

/** Why `p` cannot be a path inside a volume (relative, no `..` element, not starting with `..`), or undefined. */
export function volumePathProblem(p: unknown): string | undefined {
  if (typeof p !== 'string' || p.length === 0) return 'must be a non-empty string';
  if (p.startsWith('/')) return `${JSON.stringify(p)} must be a relative path`;
  if (p.split('/').includes('..')) return `${JSON.stringify(p)} must not contain '..'`;
  if (p.startsWith('..')) return `${JSON.stringify(p)} must not start with '..'`;
  return undefined;
}
