import { createHash } from 'node:crypto';

/**
 * The CPU work itself: plain functions of their inputs, run on the main thread (light,
 * medium) or in the worker pool (heavy, severe). Each returns figures derived from all the
 * work so nothing can be optimised away and tests can check it was done.
 */

/** Rounds of chained SHA-256 per item of `hash_computation`. */
const MEDIUM_HASH_ROUNDS = 4;
/** Rounds of chained SHA-256 per item of the prime operations. */
const HEAVY_HASH_ROUNDS = 16;
/** First number examined by the prime operations: large enough that trial division is real work. */
const PRIME_BASE = 2_000_000_000;
/** Memory the severe operation holds per item while it runs (spec: "memory stress"). */
export const SEVERE_BYTES_PER_ITEM = 1024;

export interface JsonResult {
  readonly records: number;
  readonly bytes: number;
  readonly total: number;
}

/** `json_processing`: build order records, serialise, parse back, then total and group them. */
export function jsonProcessing(items: number): JsonResult {
  const records = Array.from({ length: items }, (_, i) => ({
    id: `item-${i}`,
    category: `category-${i % 7}`,
    quantity: (i % 13) + 1,
    unitPrice: Math.round(((i * 37) % 1000) + 99) / 100,
    tags: [`t${i % 3}`, `t${i % 5}`],
  }));
  const text = JSON.stringify(records);
  const parsed = JSON.parse(text) as typeof records;
  const byCategory = new Map<string, number>();
  let total = 0;
  for (const r of parsed) {
    const line = r.quantity * r.unitPrice;
    total += line;
    byCategory.set(r.category, (byCategory.get(r.category) ?? 0) + line);
  }
  const summary = JSON.stringify({ total, byCategory: Object.fromEntries(byCategory) });
  return { records: parsed.length, bytes: text.length + summary.length, total };
}

/** SHA-256 applied `rounds` times, each round hashing the previous digest. */
function chainedSha256(input: string, rounds: number): Buffer {
  let digest = createHash('sha256').update(input).digest();
  for (let r = 1; r < rounds; r++) digest = createHash('sha256').update(digest).digest();
  return digest;
}

export interface HashResult {
  readonly items: number;
  /** XOR of every item's final digest, hex. */
  readonly digest: string;
}

/** `hash_computation`: chained SHA-256 over one record per item. */
export function hashComputation(items: number): HashResult {
  const acc = Buffer.alloc(32);
  for (let i = 0; i < items; i++) {
    const d = chainedSha256(
      `order:${i}:quantity:${i % 10}:payload:${'x'.repeat(i % 64)}`,
      MEDIUM_HASH_ROUNDS,
    );
    for (let b = 0; b < 32; b++) acc[b]! ^= d[b]!;
  }
  return { items, digest: acc.toString('hex') };
}

/** Trial division; n is below 2^53 so every step is exact. */
export function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

/** Prime factors of n by trial division, smallest first, with repeats. */
export function factorise(n: number): number[] {
  const factors: number[] = [];
  while (n % 2 === 0 && n > 1) {
    factors.push(2);
    n /= 2;
  }
  for (let d = 3; d * d <= n; d += 2) {
    while (n % d === 0) {
      factors.push(d);
      n /= d;
    }
  }
  if (n > 1) factors.push(n);
  return factors;
}

export interface PrimeResult {
  readonly items: number;
  readonly primes: number;
  /** Sum over items of the number of prime factors (with repeats). */
  readonly factors: number;
  /** XOR of every item's final digest, hex. */
  readonly digest: string;
}

/** One chunk of the prime operations' work: items `start` … `start + count − 1`. */
export interface PrimeChunk {
  readonly start: number;
  readonly count: number;
  /** 1 for `intensive_prime_computation`; 2 for `extreme_cpu_computation` ("double heavy"). */
  readonly passes: number;
  /** Bytes held per item while the chunk runs (0: no memory stress). */
  readonly bytesPerItem: number;
}

/**
 * Per item and pass: is the number prime, its factorisation, then chained SHA-256 of the
 * factorisation. The severe operation also holds `bytesPerItem` per item, written as it goes,
 * so the memory is really touched.
 */
export function primeWork(chunk: PrimeChunk): PrimeResult {
  const hold = chunk.bytesPerItem > 0 ? Buffer.alloc(chunk.count * chunk.bytesPerItem, 1) : null;
  const acc = Buffer.alloc(32);
  let primes = 0;
  let factorCount = 0;
  for (let pass = 0; pass < chunk.passes; pass++) {
    for (let i = 0; i < chunk.count; i++) {
      const n = PRIME_BASE + pass * 1_000_003 + (chunk.start + i) * 2 + 1;
      if (isPrime(n)) primes++;
      const factors = factorise(n);
      factorCount += factors.length;
      const d = chainedSha256(`${n}=${factors.join('*')}`, HEAVY_HASH_ROUNDS);
      for (let b = 0; b < 32; b++) acc[b]! ^= d[b]!;
      if (hold) d.copy(hold, i * chunk.bytesPerItem + (pass % 2) * 32);
    }
  }
  return { items: chunk.count, primes, factors: factorCount, digest: acc.toString('hex') };
}
