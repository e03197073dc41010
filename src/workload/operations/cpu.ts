import type { ThreadCpuLedger } from '../../monitor/index.js';
import type { CpuPool } from '../pool.js';
import type { CpuOperation } from '../types.js';
import { hashComputation, jsonProcessing, SEVERE_BYTES_PER_ITEM } from './cpu-kernels.js';
import type { PrimeChunk, PrimeResult } from './cpu-kernels.js';

export interface CpuResult {
  readonly operation: CpuOperation;
  readonly items: number;
  /** Chunks run in parallel on the worker pool (0: ran on the calling thread). */
  readonly chunks: number;
  readonly primes?: number;
  readonly factors?: number;
  readonly digest?: string;
}

/**
 * Light and medium work runs on the calling thread: it is short, and blocking the event loop
 * is what makes head-of-line blocking real. Heavy and severe work is split over the pool; each
 * chunk's CPU time, read on its worker thread, goes to `ledger` (the span's resource mark).
 */
export async function runCpuOperation(
  operation: CpuOperation,
  items: number,
  pool: () => CpuPool,
  ledger?: ThreadCpuLedger,
): Promise<CpuResult> {
  switch (operation) {
    case 'json_processing':
      jsonProcessing(items);
      return { operation, items, chunks: 0 };
    case 'hash_computation':
      return { operation, items, chunks: 0, digest: hashComputation(items).digest };
    case 'intensive_prime_computation':
      return {
        operation,
        ...(await parallelPrimeWork(pool(), { items, passes: 1, bytesPerItem: 0 }, ledger)),
      };
    case 'extreme_cpu_computation':
      return {
        operation,
        ...(await parallelPrimeWork(
          pool(),
          { items, passes: 2, bytesPerItem: SEVERE_BYTES_PER_ITEM },
          ledger,
        )),
      };
  }
}

/** Several chunks per worker, so a worker that finishes early takes more: no single-core tail. */
const CHUNKS_PER_WORKER = 4;

/** Contiguous chunks; results are combined as if one thread did all the items. */
export function splitItems(items: number, parts: number): Array<{ start: number; count: number }> {
  const n = Math.max(1, Math.min(parts, items));
  const base = Math.floor(items / n);
  const extra = items % n;
  const chunks: Array<{ start: number; count: number }> = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const count = base + (i < extra ? 1 : 0);
    chunks.push({ start, count });
    start += count;
  }
  return chunks;
}

/** The prime work of one operation: `passes` over `items`, each holding `bytesPerItem`. */
interface PrimeWork {
  readonly items: number;
  readonly passes: number;
  readonly bytesPerItem: number;
}

async function parallelPrimeWork(
  pool: CpuPool,
  { items, passes, bytesPerItem }: PrimeWork,
  ledger: ThreadCpuLedger | undefined,
): Promise<Omit<CpuResult, 'operation'>> {
  const chunks: PrimeChunk[] = splitItems(items, pool.size * CHUNKS_PER_WORKER).map((c) => ({
    ...c,
    passes,
    bytesPerItem,
  }));
  const results = await Promise.all(
    chunks.map(async (c) => {
      const r = await pool.run(c);
      ledger?.addThreadCpu(r.thread, r.cpuNs);
      return r.value;
    }),
  );
  return { items, chunks: chunks.length, ...combine(results) };
}

function combine(
  results: readonly PrimeResult[],
): Pick<CpuResult, 'primes' | 'factors' | 'digest'> {
  const acc = Buffer.alloc(32);
  let primes = 0;
  let factors = 0;
  for (const r of results) {
    primes += r.primes;
    factors += r.factors;
    const d = Buffer.from(r.digest, 'hex');
    for (let b = 0; b < 32; b++) acc[b]! ^= d[b]!;
  }
  return { primes, factors, digest: acc.toString('hex') };
}
