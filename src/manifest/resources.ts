/** A container's resources: Kubernetes quantities (limits, requests) → memory bytes, CPU cores and shares. */
import type * as k8s from 'kubernetes-types/core/v1.js';
import type { ContainerSpec } from '../spec/spec.js';
import type { Field } from './field.js';
import { isFractional, isNegative, milliCpuToShares, parseQuantity, quantityBytes, quantityMillis, type Quantity } from './quantity.js';
import { applyTable, unsupported, UNSUPPORTED, type Handler, type Table, type Valued } from './table.js';

type ResourceName = 'cpu' | 'memory';
type Amounts = Partial<Record<ResourceName, Valued<Quantity>>>;

/** Quantities as written: a request is checked against its limit, and both become PodSpec numbers, once all are read. */
export interface ResourcesDraft {
  limits: Amounts;
  requests: Amounts;
}

function amount(name: ResourceName): Handler<Amounts> {
  return (f, d) => {
    const q = parseQuantity(f.scalar('a quantity'));
    if (typeof q === 'string') return f.fail(q);
    if (isNegative(q)) f.fail('must not be negative');
    if (name === 'memory' && isFractional(q))
      f.fail('is a fraction of a byte', 'for mebibytes write Mi (128Mi), for megabytes M (128M); m means thousandths');
    d[name] = { value: q, field: f };
  };
}

const LIMITS: Table<Record<ResourceName, unknown>, Amounts> = {
  cpu: amount('cpu'),
  memory: amount('memory'),
  'ephemeral-storage': UNSUPPORTED,
};

const REQUESTS: Table<Record<ResourceName, unknown>, Amounts> = {
  ...LIMITS,
  memory: (f, d) => {
    amount('memory')(f, d);
    f.warn(
      'accepted: it sets the QoS class and oom_score_adj, as in Kubernetes; no memory is reserved for it (the downward API reports it)',
    );
  },
};

export const RESOURCES: Table<k8s.ResourceRequirements, ResourcesDraft> = {
  limits: (f, d) => applyTable(f, LIMITS, d.limits),
  requests: (f, d) => applyTable(f, REQUESTS, d.requests),
  claims: unsupported('there are no resource claims here'),
};

/** The PodSpec resources of the container at `at` (its path), or undefined when it sets none. */
export function containerResources({ limits, requests }: ResourcesDraft, at: string): ContainerSpec['resources'] {
  const out: NonNullable<ContainerSpec['resources']> = {};
  for (const name of ['cpu', 'memory'] as const) {
    const limit = limits[name];
    const request = requests[name];
    if (limit && quantityMillis(limit.value) === 0n) limit.field.fail('must be greater than zero');
    if (limit && request && quantityMillis(request.value) > quantityMillis(limit.value)) {
      request.field.fail(`must not exceed limits.${name} (line ${limit.field.line})`);
    }
  }
  if (limits.memory) {
    out.memoryBytes = toSafeNumber(quantityBytes(limits.memory.value), limits.memory.field);
    limits.memory.field.origin(`${at}.resources.memoryBytes`);
  }
  if (limits.cpu) {
    out.cpu = toSafeNumber(quantityMillis(limits.cpu.value), limits.cpu.field) / 1000;
    limits.cpu.field.origin(`${at}.resources.cpu`);
  }
  if (requests.cpu) out.cpuRequest = toSafeNumber(quantityMillis(requests.cpu.value), requests.cpu.field) / 1000;
  if (requests.memory) out.memoryRequestBytes = toSafeNumber(quantityBytes(requests.memory.value), requests.memory.field);
  // Kubernetes defaults a request to its limit.
  const cpuRequest = requests.cpu ?? limits.cpu;
  if (cpuRequest) {
    out.cpuShares = milliCpuToShares(quantityMillis(cpuRequest.value));
    cpuRequest.field.origin(`${at}.resources.cpuShares`);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function toSafeNumber(n: bigint, field: Field): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) field.fail('is too large');
  return Number(n);
}
