import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { context, propagation, trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import Fastify from 'fastify';
import type { FastifyError, FastifyInstance } from 'fastify';
import { unreachableDependency } from '../../bus/index.js';
import type { Bus } from '../../bus/types.js';
import { withTimeout } from '../../errors/index.js';
import {
  describeSchemaErrors,
  encodeOrder,
  isOrderId,
  ORDER_REQUEST_SCHEMA,
  SERVICES,
  validatorFor,
} from '../../model/index.js';
import type { Order, OrderRequest } from '../../model/index.js';
import type { OrderStore } from '../../store/types.js';
import type { Logger } from '../../telemetry/logger.js';
import { INTENSITIES, INTENSITY_BAGGAGE_KEY } from '../../workload/types.js';
import type { Intensity } from '../../workload/types.js';
import { ATTR_ORDER_ITEM, ATTR_ORDER_QUANTITY } from '../../telemetry/semconv.js';
import { InjectedCrash } from '../../faults/index.js';
import type { FaultInjector } from '../../faults/index.js';
import { runStage } from '../stage.js';
import type { StepWorkload } from '../stage.js';

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
  /** Longest a client may take to send a request, or keep an idle connection, ms. */
  readonly requestTimeoutMs?: number;
  /** Injected faults (`api.latency`, `api.error`, `api.crash`, `api.duplicate`). */
  readonly faults?: FaultInjector;
  /** Ends the process as a crash would (an injected `api.crash`). */
  readonly crash?: () => Promise<never>;
}

const orderQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { intensity: { type: 'string', enum: [...INTENSITIES] } },
} as const;

/** The longest /health waits for its dependencies before it answers 503. */
const HEALTH_TIMEOUT_MS = 1000;
/** An outage is logged once in this long, not once per refused request. */
const OUTAGE_LOG_INTERVAL_MS = 10_000;

/** Error bodies share one shape: `{ statusCode, code, error, message }`, as fastify's own. */
function errorBody(statusCode: number, code: string, error: string, message: string) {
  return { statusCode, code, error, message };
}

/** The API service's HTTP app; `listen` is the caller's, so tests can inject requests. */
export function buildApiApp(deps: ApiDeps): FastifyInstance {
  const api = SERVICES.api;
  const app = Fastify({
    bodyLimit: deps.bodyLimitBytes ?? 16 * 1024,
    logger: false,
    // A client that sends its request slowly, or stops half-way, is cut off: it cannot hold
    // a connection (and the memory behind it) for long.
    requestTimeout: deps.requestTimeoutMs ?? 10_000,
    connectionTimeout: deps.requestTimeoutMs ?? 10_000,
  });
  // The model's ajv validates, with the very schema the consumers decode with: both sides
  // count and refuse alike. Wrong types are errors, not values to coerce; unknown fields are
  // refused, not dropped.
  app.setValidatorCompiler(({ schema }) => validatorFor(schema));
  app.setSchemaErrorFormatter(
    (errors, dataVar) => new Error(describeSchemaErrors(errors, dataVar)),
  );

  // Orders are JSON only: any other body type is a 415, text included.
  app.removeContentTypeParser('text/plain');
  // JSON is UTF-8 (RFC 8259): a body declared in another charset would be read wrongly.
  app.addHook('onRequest', async (request, reply) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(
      request.headers['content-type'] ?? '',
    )?.[1];
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      return reply
        .status(415)
        .send(
          errorBody(
            415,
            'FST_ERR_CTP_INVALID_MEDIA_TYPE',
            'Unsupported Media Type',
            `charset ${charset} is not supported: send the order as JSON in UTF-8 (Content-Type: application/json)`,
          ),
        );
    }
  });

  // Names the HTTP server span after the route (`POST /order`), as route-aware
  // instrumentations do.
  app.addHook('onRequest', (request, _reply, done) => {
    const rpc = getRPCMetadata(context.active());
    if (rpc?.type === RPCType.HTTP && request.routeOptions.url)
      rpc.route = request.routeOptions.url;
    done();
  });

  let outageLoggedAtMs = -Infinity;
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const down = unreachableDependency(err);
    if (down) {
      // Nothing wrong with the request: a dependency is down, so say so at once.
      const now = Date.now();
      if (now - outageLoggedAtMs >= OUTAGE_LOG_INTERVAL_MS) {
        outageLoggedAtMs = now;
        deps.logger.warn(`${down} is unreachable: answering 503`, { error: err });
      }
      const outcome =
        request.method === 'POST' ? 'the order was not accepted' : 'nothing could be read';
      return reply
        .status(503)
        .header('retry-after', '1')
        .send(
          errorBody(
            503,
            `ERR_${down.toUpperCase()}_UNREACHABLE`,
            'Service Unavailable',
            `${down} is unreachable: ${outcome}; try again once it is back`,
          ),
        );
    }
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

  app.post<{ Body: OrderRequest; Querystring: { intensity?: Intensity } }>(
    '/order',
    { schema: { body: ORDER_REQUEST_SCHEMA, querystring: orderQuery } },
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
      const traceId = await context
        .with(ctx, () =>
          runStage(deps, api, order, async () => {
            const span = trace.getActiveSpan();
            // What was ordered, on the stage span: a trace can be found by its item.
            span?.setAttributes({
              [ATTR_ORDER_ITEM]: order.item,
              [ATTR_ORDER_QUANTITY]: order.quantity,
            });
            const id = span?.spanContext().traceId ?? '';
            await deps.store.create(order, id);
            const message = { key: order.id, value: encodeOrder(order) };
            try {
              await deps.bus.publish(api.publishes!, message);
            } catch (err) {
              // Not published means not accepted: leave no record of it.
              await deps.store.remove(order.id).catch(() => undefined);
              throw err;
            }
            // A queue flood on demand: the same order again and again; counted once downstream.
            const copies = span && deps.faults ? deps.faults.duplicates(span) : 0;
            for (let i = 0; i < copies; i++) {
              // A copy that fails is on its own send span; the order itself was accepted.
              await deps.bus.publish(api.publishes!, message).catch(() => undefined);
            }
            return id;
          }),
        )
        .catch((err: unknown) => {
          if (err instanceof InjectedCrash && deps.crash) return deps.crash();
          throw err;
        });
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

  return app;
}
