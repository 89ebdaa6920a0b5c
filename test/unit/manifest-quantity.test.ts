import test from 'ava';
import { parseQuantity, quantityBytes, quantityMillis, milliCpuToShares, type Quantity } from '../../src/manifest/quantity.js';

const parsed = (value: unknown): Quantity => {
  const q = parseQuantity(value);
  if (typeof q === 'string') throw new Error(q);
  return q;
};

test('binary, decimal and exponent suffixes give exact bytes', (t) => {
  const cases: [unknown, bigint][] = [
    ['1Ki', 1024n],
    ['32Mi', 33554432n],
    ['1.5Gi', 1610612736n],
    ['2Ti', 2n * 1024n ** 4n],
    ['1Ei', 1024n ** 6n],
    ['1k', 1000n],
    ['1M', 1000000n],
    ['1.1G', 1100000000n],
    ['3T', 3n * 10n ** 12n],
    ['1E', 10n ** 18n],
    ['1e3', 1000n],
    ['12E-1', 2n],
    ['.5k', 500n],
    ['5.', 5n],
    [4096, 4096n],
    [1e21, 10n ** 21n],
    ['+7', 7n],
    [' 8Mi ', 8n * 1024n * 1024n],
  ];
  for (const [value, bytes] of cases) t.is(quantityBytes(parsed(value)), bytes, String(value));
});

test('cpu quantities give millicores, rounded up; shares follow Kubernetes (x1024/1000, at least 2)', (t) => {
  const cases: [unknown, bigint, number][] = [
    ['500m', 500n, 512],
    [0.5, 500n, 512],
    [2, 2000n, 2048],
    ['100m', 100n, 102],
    ['1500u', 2n, 2],
    ['0.0001', 1n, 2],
    [0, 0n, 2],
  ];
  for (const [value, millis, shares] of cases) {
    t.is(quantityMillis(parsed(value)), millis, String(value));
    t.is(milliCpuToShares(quantityMillis(parsed(value))), shares, String(value));
  }
});

test('what is not a quantity says so', (t) => {
  for (const value of ['', 'Mi', '1.2.3', '1 Gi', '1mi', '1KB', '1e', '0x10', 'ten', true, null, [1]]) {
    t.is(typeof parseQuantity(value), 'string', JSON.stringify(value));
  }
  t.is(parseQuantity('1e999'), '"1e999" is out of range');
  t.deepEqual(parseQuantity('-1'), { numerator: -1n, denominator: 1n });
});
