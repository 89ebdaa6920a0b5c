/**
 * Kubernetes resource quantities (`32Mi`, `1G`, `500m`, `0.5`, `2`, `1e3`), parsed exactly:
 * a quantity is kept as a fraction of two bigints, so `1.1G` is 1100000000 bytes, not 1100000000.0000002.
 */

/** A non-negative or negative rational number: numerator / denominator (denominator > 0). */
export interface Quantity {
  numerator: bigint;
  denominator: bigint;
}

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|[numkMGTPE])?$/;
const BINARY_POWER: Record<string, bigint> = { Ki: 10n, Mi: 20n, Gi: 30n, Ti: 40n, Pi: 50n, Ei: 60n };
const DECIMAL_EXPONENT: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
/** Beyond this, a decimal exponent only names numbers no host has (and would make huge bigints). */
const MAX_EXPONENT = 30;

/** Parses a quantity, or returns why it is not one. */
export function parseQuantity(value: unknown): Quantity | string {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return `${value} is not a quantity`;
    text = String(value);
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    return 'must be a quantity such as 128Mi, 1G, 500m or 2';
  }
  // String(1e21) is "1e+21"; the grammar below takes the sign in the exponent.
  const match = QUANTITY.exec(text);
  if (!match) return `${JSON.stringify(value)} is not a quantity (examples: 128Mi, 1G, 500m, 0.5, 2)`;
  const [, sign, number, suffix] = match as unknown as [string, string, string, string | undefined];
  const [whole, fraction = ''] = number.split('.');
  let numerator = BigInt(`${whole || '0'}${fraction}`) * (sign === '-' ? -1n : 1n);
  let denominator = 10n ** BigInt(fraction.length);
  let exponent = 0;
  if (suffix !== undefined && suffix in BINARY_POWER) numerator *= 2n ** BINARY_POWER[suffix]!;
  else if (suffix !== undefined && suffix in DECIMAL_EXPONENT) exponent = DECIMAL_EXPONENT[suffix]!;
  else if (suffix !== undefined) exponent = Number(suffix.slice(1));
  if (Math.abs(exponent) > MAX_EXPONENT) return `${JSON.stringify(value)} is out of range`;
  if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
  else denominator *= 10n ** BigInt(-exponent);
  return { numerator, denominator };
}

export function isNegative(q: Quantity): boolean {
  return q.numerator < 0n;
}

/** The quantity in units of 1/scale, rounded up (Kubernetes rounds a quantity up to its precision). */
export function scaledCeil(q: Quantity, scale: bigint): bigint {
  const n = q.numerator * scale;
  const quotient = n / q.denominator;
  return n % q.denominator > 0n ? quotient + 1n : quotient;
}

/** Bytes, rounded up to a whole byte. */
export function quantityBytes(q: Quantity): bigint {
  return scaledCeil(q, 1n);
}

/** Millicores (`500m` = 500, `2` = 2000), rounded up to a whole millicore. */
export function quantityMillis(q: Quantity): bigint {
  return scaledCeil(q, 1000n);
}

/** True when the quantity has a fractional part below one unit, e.g. memory written as `128m` (millibytes). */
export function isFractional(q: Quantity): boolean {
  return q.numerator % q.denominator !== 0n;
}

/** Kubernetes' cpu request → cgroup v1 shares: millicores * 1024 / 1000, at least 2. */
export function milliCpuToShares(millis: bigint): number {
  const shares = Number((millis * 1024n) / 1000n);
  return Math.max(2, shares);
}
