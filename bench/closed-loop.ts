/**
 * A closed-loop order driver: at most N orders in flight, a new one sent as soon as one ends.
 * Where an order ends is the scope: `order` (analytics has recorded it, so N bounds the whole
 * pipeline's backlog) or `http` (the API answered 202, so N bounds only the intake and a
 * slower pipeline builds a queue behind it). The open loop of open-loop.ts offers a fixed
 * rate whatever happens; this one offers what the system takes.
 */
import type { Redis } from 'ioredis';
import { postOrder as post } from './open-loop.js';
import type { SentOrder } from './open-loop.js';

export type ClosedScope = 'order' | 'http';

export interface ClosedLoopOptions {
  readonly apiUrl: string;
  /** Reads analytics' count, for the `order` scope. */
  readonly redis: Redis;
  readonly prefix: string;
  /** Orders analytics had counted under this prefix before the run. */
  readonly countedBefore: number;
  readonly inFlight: number;
  readonly orders: number;
  readonly scope: ClosedScope;
}

export interface ClosedLoopResult {
  readonly accepted: SentOrder[];
  readonly failed: number;
  readonly firstError?: string;
  /** When the first order went and the last answer came back, epoch ms. */
  readonly firstSentMs: number;
  readonly lastAnsweredMs: number;
}

const nowMs = () => performance.timeOrigin + performance.now();
/** How often the `order` scope reads analytics' count: one cheap HGET. */
const COUNT_POLL_MS = 2;
/** An `order`-scope run whose count stands still this long has lost orders: it stops. */
const STALL_MS = 120_000;

export async function runClosedLoop(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const url = new URL('/order', options.apiUrl);
  const body = JSON.stringify({ item: 'bench', quantity: 1 });
  const accepted: SentOrder[] = [];
  let sent = 0;
  let failed = 0;
  let answered = 0;
  let completed = 0; // `order` scope: counted by analytics since the run began
  let firstError: string | undefined;
  const firstSentMs = nowMs();
  let lastAnsweredMs = firstSentMs;

  const ended = () => (options.scope === 'http' ? answered : completed + failed);
  await new Promise<void>((done, fail) => {
    let polling = false;
    const fill = () => {
      while (sent < options.orders && sent - ended() < options.inFlight) {
        sent++;
        const dueAtMs = nowMs();
        post(url, body).then(
          (id) => {
            accepted.push({ id, dueAtMs });
            answer();
          },
          (err: Error) => {
            failed++;
            firstError ??= err.message;
            answer();
          },
        );
      }
      if (options.scope === 'http' && answered === options.orders) done();
    };
    const answer = () => {
      answered++;
      lastAnsweredMs = nowMs();
      fill();
    };
    if (options.scope === 'order') {
      let progressAtMs = nowMs();
      const timer = setInterval(() => {
        if (polling) return;
        polling = true;
        options.redis
          .hget(`${options.prefix}analytics:totals`, 'orders')
          .then((v) => {
            const now = Number(v ?? 0) - options.countedBefore;
            if (now > completed) progressAtMs = nowMs();
            completed = now;
            polling = false;
            if (answered === options.orders && completed + failed >= options.orders) {
              clearInterval(timer);
              done();
            } else if (nowMs() - progressAtMs > STALL_MS) {
              clearInterval(timer);
              fail(
                new Error(
                  `analytics counted ${completed} of ${sent - failed} orders sent and nothing more for ${STALL_MS / 1000} s`,
                ),
              );
            } else fill();
          })
          .catch((err: unknown) => {
            clearInterval(timer);
            fail(err instanceof Error ? err : new Error(String(err)));
          });
      }, COUNT_POLL_MS);
    }
    fill();
  });
  return {
    accepted,
    failed,
    ...(firstError ? { firstError } : {}),
    firstSentMs,
    lastAnsweredMs,
  };
}
