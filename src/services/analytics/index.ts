import type { MessageHandler } from '../../bus/index.js';
import { SERVICES } from '../../model/index.js';
import { createOrderHandler } from '../consumer.js';
import type { ConsumerDeps } from '../consumer.js';

/** The analytics service, the end of the line: counts each order into the aggregates once. */
export function createAnalyticsHandler(deps: ConsumerDeps): MessageHandler {
  return createOrderHandler(SERVICES.analytics, deps, async (order) => {
    await deps.store.recordAnalytics(order, Date.now());
  });
}
