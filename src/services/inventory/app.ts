import { trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import Fastify from 'fastify';
import type { FastifyError, FastifyInstance } from 'fastify';
import { withTimeout } from '../../errors/index.js';
import { InjectedCrash, InjectedError } from '../../faults/index.js';
import type { FaultInjector } from '../../faults/index.js';
import { describeSchemaErrors, SERVICES, validatorFor } from '../../model/index.js';
import type { Logger } from '../../telemetry/index.js';
import { guardHost } from '../api/host-check.js';
import { answerOther, answerUnknownRoutes, errorBody, unavailable } from '../api/http-errors.js';
import { parseJsonAsStrictUtf8 } from '../api/json-body.js';
import { nameServerSpansAfterRoutes, tracedServer } from '../api/traced-server.js';
import { runStage } from '../stage.js';
import type { StepWorkload } from '../stage.js';
import { RESERVATION_REQUEST_SCHEMA } from './body.js';
import { isDatabaseDown } from './database-down.js';
import type { ReserveRequest, StockBackend } from './types.js';

/** The longest /health waits for the database before it answers 503. */
const HEALTH_TIMEOUT_MS = 1000;
/** An outage is logged once in this long, not once per refused request. */
const OUTAGE_LOG_INTERVAL_MS = 10_000;

export interface InventoryDeps {
  readonly backend: StockBackend;
  readonly workload: StepWorkload;
  readonly tracer: Tracer;
  readonly logger: Logger;
  /** Injected faults: crash, error, latency as elsewhere, and the database ones. */
  readonly faults?: FaultInjector;
  /** Ends the process as a crash would (an injected `inventory.crash`). */
  readonly crash?: () => Promise<never>;
  /** Host names it answers to (see http-guard); the loopback names when absent. */
  readonly allowedHosts?: ReadonlySet<string>;
  readonly requestTimeoutMs?: number;
}

/**
 * Inventory's HTTP app: `POST /reservations` reserves an order's stock (idempotent by order
 * id), `GET /health` pings the database. `listen` is the caller's, so tests can inject.
 */
export function buildInventoryApp(deps: InventoryDeps): FastifyInstance {
  const app = Fastify({
    serverFactory: tracedServer(deps.tracer),
    bodyLimit: 16 * 1024,
    logger: false,
    requestTimeout: deps.requestTimeoutMs ?? 10_000,
    connectionTimeout: deps.requestTimeoutMs ?? 10_000,
    // Processing keeps its connections open (a keep-alive agent): longer than its idle timeout.
    keepAliveTimeout: 10_000,
  });
  app.setValidatorCompiler(({ schema }) => validatorFor(schema));
  app.setSchemaErrorFormatter(
    (errors, dataVar) => new Error(describeSchemaErrors(errors, dataVar)),
  );
  guardHost(app, deps.allowedHosts);
  // JSON only: any other body type is a 415.
  app.removeContentTypeParser('text/plain');
  parseJsonAsStrictUtf8(app);
  // The server span named after the route (`POST /reservations`).
  nameServerSpansAfterRoutes(app);
  answerErrors(app, deps.logger);

  const service = SERVICES.inventory;
  app.post<{ Body: ReserveRequest }>(
    '/reservations',
    { schema: { body: RESERVATION_REQUEST_SCHEMA } },
    async (request) => {
      const body = request.body;
      try {
        return await runStage(deps, service, { id: body.orderId }, () => {
          const span = trace.getActiveSpan();
          const f = span && deps.faults ? deps.faults.databaseFaults(span) : {};
          return deps.backend.reserve(
            { orderId: body.orderId, item: body.item, quantity: body.quantity },
            {
              ...(f.nPlusOne ? { nPlusOne: f.nPlusOne } : {}),
              ...(f.hotRowLock ? { hotRowLock: true } : {}),
            },
          );
        });
      } catch (err) {
        if (err instanceof InjectedCrash && deps.crash) return deps.crash();
        throw err;
      }
    },
  );

  app.get('/health', async (_request, reply) => {
    try {
      await withTimeout(
        deps.backend.ping(),
        HEALTH_TIMEOUT_MS,
        () => new Error(`the database gave no answer within ${HEALTH_TIMEOUT_MS} ms`),
      );
      return { status: 'ok', service: service.serviceName };
    } catch (err) {
      return reply.status(503).send({
        status: 'unavailable',
        service: service.serviceName,
        reason: (err as Error).message,
      });
    }
  });
  return app;
}

/**
 * Errors in the lab's one shape: a bad request is a 400 saying why, the database away is a
 * quick 503 (the caller redelivers), an injected error a 500 that says so, anything else a
 * logged 500.
 */
function answerErrors(app: FastifyInstance, logger: Logger): void {
  let outageLoggedAtMs = -Infinity;
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (isDatabaseDown(err)) {
      const now = Date.now();
      if (now - outageLoggedAtMs >= OUTAGE_LOG_INTERVAL_MS) {
        outageLoggedAtMs = now;
        logger.warn('the database is unreachable: answering 503', { error: err });
      }
      return unavailable(
        reply,
        'ERR_DATABASE_UNREACHABLE',
        'the database is unreachable: nothing was reserved; try again once it is back',
      );
    }
    if (err instanceof InjectedError) {
      return reply
        .status(500)
        .send(errorBody(500, 'ERR_INJECTED_FAULT', 'Internal Server Error', err.message));
    }
    return answerOther(err, request, reply, logger, 'internal error; nothing was reserved');
  });
  answerUnknownRoutes(app);
}
