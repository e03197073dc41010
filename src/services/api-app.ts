import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { context, propagation, trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import Fastify from 'fastify';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Bus } from '../bus/types.js';
import { encodeOrder, isOrderId, ITEM_MAX_LENGTH, QUANTITY_MAX } from '../pipeline/order.js';
import type { Order } from '../pipeline/order.js';
import { SERVICES } from '../pipeline/services.js';
import { runStage } from '../pipeline/stage.js';
import type { StepWorkload } from '../pipeline/stage.js';
import type { OrderStore } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';
import { INTENSITIES, INTENSITY_BAGGAGE_KEY } from '../workload/types.js';
import type { Intensity } from '../workload/types.js';

export interface ApiDeps {
  readonly bus: Bus;
  readonly store: OrderStore;
  readonly workload: StepWorkload;
  readonly tracer: Tracer;
  readonly logger: Logger;
  /** Answers /health: resolves when the service's dependencies answer. */
  readonly ping: () => Promise<void>;
  /** Largest accepted request body, bytes. */
  readonly bodyLimitBytes?: number;
}

const orderBody = {
  type: 'object',
  required: ['item', 'quantity'],
  additionalProperties: false,
  properties: {
    item: { type: 'string', minLength: 1, maxLength: ITEM_MAX_LENGTH },
    quantity: { type: 'integer', minimum: 1, maximum: QUANTITY_MAX },
  },
} as const;

const orderQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { intensity: { type: 'string', enum: [...INTENSITIES] } },
} as const;

/** Error bodies share one shape: `{ statusCode, code, error, message }`, as fastify's own. */
function errorBody(statusCode: number, code: string, error: string, message: string) {
  return { statusCode, code, error, message };
}

/** The API service's HTTP app; `listen` is the caller's, so tests can inject requests. */
export function buildApiApp(deps: ApiDeps): FastifyInstance {
  const api = SERVICES.api;
  const app = Fastify({
    bodyLimit: deps.bodyLimitBytes ?? 16 * 1024,
    // Wrong types are errors, not values to coerce; unknown fields are refused, not dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } },
    logger: false,
  });

  // Orders are JSON only: any other body type is a 415, text included.
  app.removeContentTypeParser('text/plain');

  // Names the HTTP server span after the route (`POST /order`), as route-aware
  // instrumentations do.
  app.addHook('onRequest', (request, _reply, done) => {
    const rpc = getRPCMetadata(context.active());
    if (rpc?.type === RPCType.HTTP && request.routeOptions.url)
      rpc.route = request.routeOptions.url;
    done();
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) deps.logger.error('request failed', { error: err });
    const message =
      status >= 500
        ? 'internal error; the order was not accepted'
        : status === 415
          ? `unsupported Content-Type "${request.headers['content-type'] ?? ''}": send application/json`
          : err.message;
    return reply
      .status(status)
      .send(
        errorBody(status, err.code ?? 'ERR_INTERNAL', STATUS_CODES[status] ?? 'Error', message),
      );
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send(
        errorBody(404, 'ERR_NOT_FOUND', 'Not Found', `no route ${request.method} ${request.url}`),
      ),
  );

  app.post<{ Body: { item: string; quantity: number }; Querystring: { intensity?: Intensity } }>(
    '/order',
    { schema: { body: orderBody, querystring: orderQuery } },
    async (request, reply) => {
      const order: Order = {
        id: randomUUID(),
        item: request.body.item,
        quantity: request.body.quantity,
        createdAtMs: Date.now(),
      };
      // A forced intensity travels as baggage, so every service downstream honours it.
      let ctx = context.active();
      if (request.query.intensity) {
        const baggage = (propagation.getBaggage(ctx) ?? propagation.createBaggage()).setEntry(
          INTENSITY_BAGGAGE_KEY,
          { value: request.query.intensity },
        );
        ctx = propagation.setBaggage(ctx, baggage);
      }
      const traceId = await context.with(ctx, () =>
        runStage(deps, api, order, async () => {
          const id = trace.getActiveSpan()?.spanContext().traceId ?? '';
          await deps.store.create(order, id);
          try {
            await deps.bus.publish(api.publishes!, { key: order.id, value: encodeOrder(order) });
          } catch (err) {
            // Not published means not accepted: leave no record of it.
            await deps.store.remove(order.id).catch(() => undefined);
            throw err;
          }
          return id;
        }),
      );
      return reply
        .status(202)
        .header('location', `/order/${order.id}`)
        .send({ id: order.id, traceId, status: 'accepted' });
    },
  );

  app.get<{ Params: { id: string } }>('/order/:id', async (request, reply) => {
    const { id } = request.params;
    if (!isOrderId(id)) {
      return reply
        .status(400)
        .send(
          errorBody(400, 'ERR_BAD_ORDER_ID', 'Bad Request', `"${id}" is not an order id (a UUID)`),
        );
    }
    const record = await deps.store.get(id);
    if (!record) {
      return reply
        .status(404)
        .send(errorBody(404, 'ERR_ORDER_NOT_FOUND', 'Not Found', `no order ${id}`));
    }
    return record;
  });

  app.get('/health', async (_request, reply) => {
    try {
      await deps.ping();
      return { status: 'ok', service: api.serviceName };
    } catch (err) {
      return reply
        .status(503)
        .send({ status: 'unavailable', service: api.serviceName, reason: (err as Error).message });
    }
  });

  return app;
}
