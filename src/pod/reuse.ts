/**
 * `reuse: true`: a pod made from the same spec is taken as it is. The spec's hash (sha256 of its JSON with sorted keys)
 * is kept in the pod record; a pod of the name with another hash is named with the first field where the specs differ.
 */
import { createHash } from 'node:crypto';
import type { PodSpec } from '../spec/spec.js';

/** JSON with object keys sorted and undefined members left out, as pod.json round-trips a spec. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : canonical(v)));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = canonical(v);
  }
  return out;
}

/** The hash of a spec that reuse compares: equal for equal specs, whatever their keys' order. */
export function specHash(spec: PodSpec): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(spec)))
    .digest('hex');
}

/** The first field path where two specs differ (`containers[0].image`), with both values; undefined when equal. */
export function specDifference(was: PodSpec, now: PodSpec): { field: string; was: string; now: string } | undefined {
  const walk = (a: unknown, b: unknown, at: string): { field: string; was: string; now: string } | undefined => {
    if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
    const bothObjects = a !== null && b !== null && typeof a === 'object' && typeof b === 'object';
    if (bothObjects && Array.isArray(a) === Array.isArray(b)) {
      if (Array.isArray(a) && Array.isArray(b)) {
        for (let i = 0; i < Math.max(a.length, b.length); i++) {
          const d = walk(a[i], b[i], `${at}[${i}]`);
          if (d) return d;
        }
      } else {
        const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
        for (const k of keys) {
          const d = walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k);
          if (d) return d;
        }
      }
    }
    const show = (v: unknown) => (v === undefined ? 'unset' : JSON.stringify(v).slice(0, 80));
    return { field: at || 'spec', was: show(a), now: show(b) };
  };
  return walk(canonical(was), canonical(now), '');
}
