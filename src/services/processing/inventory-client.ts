import { Agent, request } from 'node:http';
import type { Order } from '../../model/index.js';
import { DependencyUnavailableError } from '../errors.js';

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

/**
 * `POST /reservations` over node:http (instrumented: each call is a CLIENT span, the trace
 * context in its headers), round-robin over the replicas, on kept-alive connections. A call
 * has `timeoutMs` in all, connecting included: an inventory that hangs fails the delivery
 * quickly instead of holding the consumer. Inventory unreachable, timed out or answering 503
 * (its database away) is a DependencyUnavailableError: the order is tried again later without
 * being counted towards its dead-letter limit.
 */
export function createInventoryClient(options: {
  readonly urls: readonly string[];
  readonly timeoutMs: number;
}): InventoryClient {
  if (options.urls.length === 0) throw new Error('no inventory URL');
  const targets = options.urls.map((u) => new URL('/reservations', u));
  // Idle connections let go before inventory's own 10 s keep-alive ends them, so a request
  // is never written into a connection the server is closing.
  const agent = new Agent({ keepAlive: true, maxSockets: 64, timeout: 5000 });
  let next = 0;
  return {
    reserve(order) {
      const target = targets[next++ % targets.length]!;
      const body = JSON.stringify({
        orderId: order.id,
        item: order.item,
        quantity: order.quantity,
      });
      return new Promise<ReservationAnswer>((resolve, reject) => {
        const unavailable = (why: string) =>
          reject(
            new DependencyUnavailableError('inventory', `inventory at ${target.origin} ${why}`),
          );
        const req = request(
          target,
          {
            method: 'POST',
            agent,
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', (err) => unavailable(`broke off its answer (${err.message})`));
            res.on('end', () => {
              clearTimeout(timer);
              const text = Buffer.concat(chunks).toString('utf8');
              const status = res.statusCode ?? 0;
              if (status === 200) {
                try {
                  resolve(JSON.parse(text) as ReservationAnswer);
                } catch {
                  reject(new InventoryCallError(status, 'inventory answered 200 without JSON'));
                }
              } else if (status === 503) {
                unavailable(`is unavailable: ${describeAnswer(status, text)}`);
              } else {
                reject(
                  new InventoryCallError(
                    status,
                    `inventory refused the reservation: ${describeAnswer(status, text)}`,
                  ),
                );
              }
            });
          },
        );
        const timer = setTimeout(() => {
          req.destroy(new Error(`no answer within ${options.timeoutMs} ms`));
        }, options.timeoutMs);
        req.on('error', (err) => {
          clearTimeout(timer);
          const code = (err as NodeJS.ErrnoException).code;
          unavailable(code ? `cannot be reached (${code})` : `did not answer: ${err.message}`);
        });
        req.end(body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}
