import type { MessageHandler } from '../../bus/index.js';
import { SERVICES } from '../../model/index.js';
import { createOrderHandler, passOn } from '../consumer.js';
import type { ConsumerDeps } from '../consumer.js';

/** The processing service: runs its steps on an order, marks it, passes it downstream. */
export function createProcessingHandler(deps: ConsumerDeps): MessageHandler {
  return createOrderHandler(SERVICES.processing, deps, passOn(SERVICES.processing, deps));
}
