import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  factorise,
  hashComputation,
  isPrime,
  jsonProcessing,
  primeWork,
} from '../../src/workload/operations/cpu-kernels.js';
import { runCpuOperation, splitItems } from '../../src/workload/operations/cpu.js';
import { createCpuPool } from '../../src/workload/pool.js';

test('prime kernels are right', () => {
  assert.deepEqual(
    [2, 3, 4, 17, 91, 97].map((n) => isPrime(n)),
    [true, true, false, true, false, true],
  );
  assert.deepEqual(factorise(360), [2, 2, 2, 3, 3, 5]);
  assert.deepEqual(factorise(2_000_000_011), [2_000_000_011]);
  for (const n of [1001, 65_536, 999_983 * 3]) {
    assert.equal(
      factorise(n).reduce((a, b) => a * b, 1),
      n,
    );
  }
});

test('splitting covers every item exactly once', () => {
  for (const [items, parts] of [
    [10, 3],
    [1, 8],
    [100_000, 8],
    [7, 7],
  ] as const) {
    const chunks = splitItems(items, parts);
    assert.equal(
      chunks.reduce((a, c) => a + c.count, 0),
      items,
    );
    chunks.forEach((c, i) =>
      assert.equal(c.start, i === 0 ? 0 : chunks[i - 1]!.start + chunks[i - 1]!.count),
    );
  }
});

test('CPU operations run for real: the pool computes what one thread computes', async (t) => {
  const pool = createCpuPool(2);
  t.after(() => pool.close());
  assert.deepEqual(jsonProcessing(100).records, 100);
  const hashed = await runCpuOperation('hash_computation', 50, () => pool);
  assert.equal(hashed.chunks, 0);
  assert.equal(hashed.digest, hashComputation(50).digest);

  const heavy = await runCpuOperation('intensive_prime_computation', 3000, () => pool);
  const reference = primeWork({ start: 0, count: 3000, passes: 1, bytesPerItem: 0 });
  assert.equal(heavy.chunks, 8);
  assert.deepEqual(
    [heavy.primes, heavy.factors, heavy.digest],
    [reference.primes, reference.factors, reference.digest],
  );
  assert.ok(reference.primes > 50, `${reference.primes} primes in 3000 odd numbers near 2e9`);

  const severe = await runCpuOperation('extreme_cpu_computation', 3000, () => pool);
  const severeRef = primeWork({ start: 0, count: 3000, passes: 2, bytesPerItem: 1024 });
  assert.deepEqual(
    [severe.primes, severe.factors, severe.digest],
    [severeRef.primes, severeRef.factors, severeRef.digest],
  );
  assert.notEqual(severe.digest, heavy.digest);
});

test('a failing worker rejects its job, and the pool goes on', async (t) => {
  const pool = createCpuPool(1);
  t.after(() => pool.close());
  await assert.rejects(
    pool.run({ start: 0, count: 1, passes: 1, bytesPerItem: 2 ** 52 }),
    /CPU worker failed/,
  );
  const ok = await pool.run({ start: 0, count: 10, passes: 1, bytesPerItem: 0 });
  assert.equal(ok.value.items, 10);
  // The worker read its own CPU time for the chunk (Linux: /proc/thread-self).
  assert.ok(ok.thread > 0, `thread ${ok.thread}`);
  assert.ok(typeof ok.cpuNs === 'number' && ok.cpuNs > 0, `cpuNs ${ok.cpuNs}`);
});
