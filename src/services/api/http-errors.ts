import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { unreachableDependency } from '../../bus/index.js';
import type { Logger } from '../../telemetry/index.js';
import { OrderOutcomeUnknown } from './withdrawals.js';

/** An outage is logged once in this long, not once per refused request. */
const OUTAGE_LOG_INTERVAL_MS = 10_000;

/** Error bodies share one shape: `{ statusCode, code, error, message }`, as fastify's own. */
export function errorBody(statusCode: number, code: string, error: string, message: string) {
  return { statusCode, code, error, message };
}

/**
 * Every error answered in that shape: a dependency down is a 503 with `retry-after`, a
 * refused request says why, anything else is a 500 that is logged; an unknown route is a 404.
 */
export function answerErrors(app: FastifyInstance, logger: Logger): void {
  let outageLoggedAtMs = -Infinity;
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const down = unreachableDependency(err);
    if (down) {
      // Nothing wrong with the request: a dependency is down, so say so at once.
      const now = Date.now();
      if (now - outageLoggedAtMs >= OUTAGE_LOG_INTERVAL_MS) {
        outageLoggedAtMs = now;
        logger.warn(`${down} is unreachable: answering 503`, { error: err });
      }
      const code = `ERR_${down.toUpperCase()}_UNREACHABLE`;
      if (err instanceof OrderOutcomeUnknown) {
        // Neither "accepted" nor "not accepted" would be true yet: say so, and where to look.
        const id = err.orderId;
        return reply
          .status(503)
          .header('retry-after', '1')
          .send({
            ...errorBody(
              503,
              code,
              'Service Unavailable',
              `${down} is unreachable: it went away while order ${id} was being published; if the order got out it goes on, otherwise it is dropped: GET /order/${id} says which once ${down} is back (200 or 404)`,
            ),
            id,
          });
      }
      const outcome =
        request.method === 'POST' ? 'the order was not accepted' : 'nothing could be read';
      return unavailable(
        reply,
        code,
        `${down} is unreachable: ${outcome}; try again once it is back`,
      );
    }
    return answerOther(err, request, reply, logger, 'internal error; the order was not accepted');
  });
  answerUnknownRoutes(app);
}

/** A dependency down: 503, to be tried again in a second. */
export function unavailable(reply: FastifyReply, code: string, message: string): FastifyReply {
  return reply
    .status(503)
    .header('retry-after', '1')
    .send(errorBody(503, code, 'Service Unavailable', message));
}

/**
 * Any other error: a refused request says why (its own status and code), anything else is a
 * 500 that is logged and says only `internal`.
 */
export function answerOther(
  err: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
  logger: Logger,
  internal: string,
): FastifyReply {
  const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
  if (status >= 500) logger.error('request failed', { error: err });
  const message =
    status >= 500
      ? internal
      : status === 415
        ? `unsupported Content-Type "${request.headers['content-type'] ?? ''}": send application/json`
        : err.message;
  return reply
    .status(status)
    .send(errorBody(status, err.code ?? 'ERR_INTERNAL', STATUS_CODES[status] ?? 'Error', message));
}

/** An unknown route is a 404 in the same shape. */
export function answerUnknownRoutes(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send(
        errorBody(404, 'ERR_NOT_FOUND', 'Not Found', `no route ${request.method} ${request.url}`),
      ),
  );
}
