import { trace } from '@opentelemetry/api';
import { Pool } from 'undici';
import type { Order } from '../../model/index.js';
import {
  ATTR_CIRCUIT_BREAKER_STATE,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  EVENT_CIRCUIT_BREAKER_STATE_CHANGE,
  withCallAttributes,
} from '../../telemetry/index.js';
import type { ResiliencePolicy } from '../../workload/index.js';
import { DependencyUnavailableError } from '../errors.js';
import { createCallPolicy } from './call-policy.js';
import type { AttemptContext, CallPolicy } from './call-policy.js';

/** What inventory answered for one order. */
export interface ReservationAnswer {
  readonly orderId: string;
  readonly sku: string;
  readonly quantity: number;
  readonly status: 'reserved' | 'out_of_stock';
  readonly repeated: boolean;
}

export interface InventoryClient {
  /** Reserves the order's stock on the next replica; throws when none answers with a decision. */
  reserve(order: Order): Promise<ReservationAnswer>;
  close(): void;
}

/** Inventory answered, but not with a decision: the request or the service failed. */
export class InventoryCallError extends Error {
  override readonly name = 'InventoryCallError';
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The dependency failing (worth another attempt, counted by the breaker), not the order. */
export function isInventoryFailure(err: Error): boolean {
  return (
    err instanceof DependencyUnavailableError ||
    (err instanceof InventoryCallError && err.statusCode >= 500)
  );
}

/** Reads `{code, message}` from an error body, when it is one. */
function describeAnswer(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown };
    if (typeof body.message === 'string') {
      return `${status} ${typeof body.code === 'string' ? body.code : ''}: ${body.message}`;
    }
  } catch {
    // Not JSON: the text itself.
  }
  return `${status}: ${text.slice(0, 200)}`;
}

/** An answer's status and body as the reservation, or the error it is. */
export function readAnswer(origin: string, status: number, text: string): ReservationAnswer {
  if (status === 200) {
    try {
      return JSON.parse(text) as ReservationAnswer;
    } catch {
      throw new InventoryCallError(status, 'inventory answered 200 without JSON');
    }
  }
  if (status === 503) {
    throw new DependencyUnavailableError(
      'inventory',
      `inventory at ${origin} is unavailable: ${describeAnswer(status, text)}`,
    );
  }
  throw new InventoryCallError(
    status,
    `inventory refused the reservation: ${describeAnswer(status, text)}`,
  );
}

export interface InventoryClientOptions {
  readonly urls: readonly string[];
  /** The policies now: the flags', with what was switched at run time over them. */
  readonly policy: () => ResiliencePolicy;
}

/**
 * `POST /reservations` over undici (instrumented: each attempt is a CLIENT span, the trace
 * context in its headers), round-robin over the replicas, on kept-alive connections, under
 * cockatiel's policies (see call-policy.ts): a bulkhead, retries with exponential backoff
 * and jitter, a circuit breaker, a time limit per attempt. Inventory unreachable, timed out,
 * answering 503 (its database away) or refused by the breaker or the bulkhead is a
 * DependencyUnavailableError: the order is delivered again later.
 */
export function createInventoryClient(options: InventoryClientOptions): InventoryClient {
  if (options.urls.length === 0) throw new Error('no inventory URL');
  // Idle connections let go before inventory's own 10 s keep-alive ends them, so a request
  // is never written into a connection the server is closing.
  const pools = options.urls.map((u) => {
    const origin = new URL(u).origin;
    return { origin, pool: new Pool(origin, { connections: 64, keepAliveTimeout: 4000 }) };
  });
  let next = 0;
  // The chain is rebuilt when the policy changes (a new breaker starts closed).
  let current: { key: string; policy: CallPolicy } | undefined;
  const policyNow = (): CallPolicy => {
    const settings = options.policy();
    const key = JSON.stringify(settings);
    if (current?.key !== key) {
      current = {
        key,
        policy: createCallPolicy(settings, isInventoryFailure, {
          onBreakerChange: ({ from, to }) =>
            trace.getActiveSpan()?.addEvent(EVENT_CIRCUIT_BREAKER_STATE_CHANGE, { from, to }),
        }),
      };
    }
    return current.policy;
  };

  const attempt = async (body: string, ctx: AttemptContext): Promise<ReservationAnswer> => {
    const { origin, pool } = pools[next++ % pools.length]!;
    const attributes = {
      [ATTR_CIRCUIT_BREAKER_STATE]: ctx.breaker,
      // OpenTelemetry HTTP: set on resends only.
      ...(ctx.resend > 0 ? { [ATTR_HTTP_REQUEST_RESEND_COUNT]: ctx.resend } : {}),
    };
    try {
      const res = await withCallAttributes(attributes, () =>
        pool.request({
          path: '/reservations',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: ctx.signal,
        }),
      );
      return readAnswer(origin, res.statusCode, await res.body.text());
    } catch (err) {
      if (err instanceof InventoryCallError || err instanceof DependencyUnavailableError) throw err;
      if (ctx.signal.aborted) throw err; // the time limit: the policy says so
      const code = (err as NodeJS.ErrnoException).code;
      throw new DependencyUnavailableError(
        'inventory',
        `inventory at ${origin} ${code ? `cannot be reached (${code})` : `did not answer: ${(err as Error).message}`}`,
      );
    }
  };

  return {
    async reserve(order) {
      const body = JSON.stringify({
        orderId: order.id,
        item: order.item,
        quantity: order.quantity,
      });
      const policy = policyNow();
      try {
        return await policy.execute((ctx) => attempt(body, ctx));
      } finally {
        // On the stage span too: a call the breaker refused has no HTTP span to carry it.
        trace.getActiveSpan()?.setAttribute(ATTR_CIRCUIT_BREAKER_STATE, policy.breakerState());
      }
    },
    close() {
      for (const { pool } of pools) void pool.destroy();
    },
  };
}
