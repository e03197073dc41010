import { trace } from '@opentelemetry/api';
import type { MessageHandler } from '../../bus/index.js';
import { SERVICES } from '../../model/index.js';
import { createOrderHandler, passOn } from '../consumer.js';
import type { ConsumerDeps, FinishOrder } from '../consumer.js';
import type { InventoryClient } from './inventory-client.js';

export {
  createInventoryClient,
  InventoryCallError,
  isInventoryFailure,
} from './inventory-client.js';
export type { InventoryClient, ReservationAnswer } from './inventory-client.js';

/** Span attribute: what inventory decided for the order (`reserved`, `out_of_stock`). */
export const ATTR_RESERVATION_STATUS = 'inventory.reservation.status';

/**
 * The processing service: runs its steps on an order, reserves its stock with inventory (a
 * synchronous call, when inventory is there), marks it, passes it downstream. A call that
 * fails fails the delivery: the order is delivered again, and inventory, idempotent by order
 * id, never reserves it twice.
 */
export function createProcessingHandler(
  deps: ConsumerDeps & { readonly inventory?: InventoryClient },
): MessageHandler {
  const service = SERVICES.processing;
  const pass = passOn(service, deps);
  const { inventory } = deps;
  const finish: FinishOrder = inventory
    ? async (order, message) => {
        const answer = await inventory.reserve(order);
        trace.getActiveSpan()?.setAttribute(ATTR_RESERVATION_STATUS, answer.status);
        await pass(order, message);
      }
    : pass;
  return createOrderHandler(service, deps, finish);
}
