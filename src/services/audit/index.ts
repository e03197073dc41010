import type { MessageHandler } from '../../bus/index.js';
import { SERVICES } from '../../model/index.js';
import type { AuditLog } from '../../store/index.js';
import { createOrderHandler } from '../consumer.js';
import type { ConsumerDeps } from '../consumer.js';

export interface AuditDeps extends ConsumerDeps {
  readonly audit: AuditLog;
}

/**
 * The audit service, a second consumer group on `notified-orders` beside analytics: records
 * each order audited once (idempotent by order id, a record with an expiry). It reads its own
 * copy of every message, so it never touches analytics' counts or an order's completion.
 */
export function createAuditHandler(deps: AuditDeps): MessageHandler {
  return createOrderHandler(SERVICES.audit, deps, async (order) => {
    await deps.audit.record(order.id, Date.now());
  });
}
