import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { HOUSEKEEPING_HEADERS } from './housekeeping.js';

/** An accepted order as the API reports it (`GET /order/:id`), the parts read here. */
interface OrderStatus {
  readonly status: 'completed' | 'in_progress';
  readonly createdAtMs: number;
  readonly stages: { readonly analytics: { readonly status: string; readonly atMs?: number } };
}

export interface Completion {
  readonly orderId: string;
  /** Accepted by the API → counted by analytics, by the services' own clocks. */
  readonly endToEndMs: number;
}

export interface CompletionProgress {
  readonly accepted: number;
  readonly completed: number;
  readonly elapsedMs: number;
}

export interface AwaitCompletionOptions {
  /** The API's base URL. */
  readonly url: string;
  readonly orderIds: readonly string[];
  /** How long to wait for the last order. */
  readonly settleMs: number;
  readonly pollEveryMs?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: CompletionProgress) => void;
}

/**
 * Waits until analytics has counted every accepted order, or `settleMs` passed. `GET
 * /analytics` is cheap, so it is polled; the orders themselves are read again only when
 * analytics' count moved (and once more at the end), so a long run's thousands of orders do
 * not turn into a stream of reads against the API under test.
 */
export async function awaitCompletion(
  options: AwaitCompletionOptions,
): Promise<Map<string, Completion>> {
  const base = new URL(options.url);
  const prefix = base.pathname.replace(/\/$/, '');
  const pool = new Pool(base.origin, { connections: 16 });
  const done = new Map<string, Completion>();
  const pending = new Set(options.orderIds);
  const started = Date.now();
  const deadline = started + options.settleMs;
  let lastCount = -1;

  const getJson = async <T>(path: string): Promise<T | undefined> => {
    const res = await pool.request({
      path: `${prefix}${path}`,
      method: 'GET',
      headers: HOUSEKEEPING_HEADERS,
    });
    const text = await res.body.text();
    return res.statusCode === 200 ? (JSON.parse(text) as T) : undefined;
  };

  const scan = async (): Promise<void> => {
    const ids = [...pending];
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        const o = await getJson<OrderStatus>(`/order/${id}`).catch(() => undefined);
        const at = o?.stages.analytics.atMs;
        if (o?.status === 'completed' && at !== undefined) {
          pending.delete(id);
          done.set(id, { orderId: id, endToEndMs: at - o.createdAtMs });
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  };

  try {
    for (;;) {
      const analytics = await getJson<{ stages?: { analytics?: number } }>('/analytics').catch(
        () => undefined,
      );
      const count = analytics?.stages?.analytics ?? Number.NaN;
      const last = Date.now() >= deadline || options.signal?.aborted;
      // An API without /analytics (NaN) is scanned every round.
      if (count !== lastCount || last) await scan();
      lastCount = count;
      options.onProgress?.({
        accepted: options.orderIds.length,
        completed: done.size,
        elapsedMs: Date.now() - started,
      });
      if (pending.size === 0 || last) return done;
      await sleep(options.pollEveryMs ?? 500, undefined, { signal: options.signal }).catch(
        () => undefined,
      );
    }
  } finally {
    await pool.close();
  }
}
