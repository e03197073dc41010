import type { FastifyInstance } from 'fastify';
import { withTimeout } from '../../errors/index.js';
import { SERVICES } from '../../model/index.js';
import type { ApiDeps } from './deps.js';

/** The longest /health waits for its dependencies before it answers 503. */
const HEALTH_TIMEOUT_MS = 1000;

/** `GET /analytics` (the aggregates) and `GET /health`. */
export function addStatusRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = SERVICES.api;
  // The aggregates as analytics keeps them, with how many accepted orders are still on their
  // way, so a user (or `tracelab load`) can see every accepted order completed.
  app.get('/analytics', async () => {
    const totals = await deps.store.totals();
    return { ...totals, inFlight: Math.max(0, totals.stages.api - totals.stages.analytics) };
  });

  app.get('/health', async (_request, reply) => {
    try {
      // A reconnecting client must not hold /health up: it answers within a second.
      await withTimeout(
        deps.ping(),
        HEALTH_TIMEOUT_MS,
        () => new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`),
      );
      return { status: 'ok', service: api.serviceName };
    } catch (err) {
      return reply
        .status(503)
        .send({ status: 'unavailable', service: api.serviceName, reason: (err as Error).message });
    }
  });
}
