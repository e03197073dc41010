import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { OrderStore } from '../../store/index.js';
import type { Logger } from '../../telemetry/index.js';

/**
 * Records of orders that were not accepted, to remove once Redis answers again. When the
 * publish of an order fails because Redis went away, its record cannot be removed either; left
 * there, a message that did get out before the connection dropped would be counted for an
 * order the client was told was not accepted. Removed later, that message is dead-lettered
 * instead (unless processing took it first: then it was accepted after all, and goes on).
 */
export interface Withdrawals {
  add(orderId: string): void;
  /** One last try, then stops; what is left expires with its record. */
  close(): Promise<void>;
}

/**
 * A publish that failed with Redis away may have got out before the connection dropped: the
 * client is told so, with the order's id to ask about once Redis is back.
 */
export class OrderOutcomeUnknown extends Error {
  override readonly name = 'OrderOutcomeUnknown';
  constructor(
    readonly orderId: string,
    cause: unknown,
  ) {
    super(`order ${orderId} may have been published before the connection dropped`, { cause });
  }
}

/** More than a long outage at full rate leaves; past it the oldest are left to expire. */
const MAX_PENDING = 100_000;

export function createWithdrawals(
  store: Pick<OrderStore, 'remove'>,
  logger: Logger,
  options: { readonly everyMs?: number } = {},
): Withdrawals {
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let withdrawn = 0;
  let continued = 0;

  const drain = async () => {
    for (const id of pending) {
      let removed: boolean;
      try {
        // Untraced: a try every half second of an outage is no order's work.
        removed = await context.with(suppressTracing(context.active()), () => store.remove(id));
      } catch {
        return; // Still away: the next tick tries again, from the same record.
      }
      pending.delete(id);
      if (removed) withdrawn++;
      else continued++;
    }
    if (withdrawn + continued > 0) {
      logger.info('orders refused while Redis was away are settled', {
        withdrawn,
        // Published before the connection dropped and taken by processing: they go on.
        taken_by_processing: continued,
      });
      withdrawn = 0;
      continued = 0;
    }
  };
  const tick = () => {
    running ??= drain().finally(() => {
      running = undefined;
      if (pending.size === 0 && timer) {
        clearInterval(timer);
        timer = undefined;
      }
    });
  };

  return {
    add(orderId) {
      if (pending.size >= MAX_PENDING) pending.delete(pending.values().next().value!);
      pending.add(orderId);
      if (!timer) {
        timer = setInterval(tick, options.everyMs ?? 500);
        timer.unref();
      }
    },
    async close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
      if (pending.size > 0) await drain();
    },
  };
}
