import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { describeSchemaErrors, validatorFor } from '../../model/index.js';
import type { ApiDeps } from './deps.js';
import { guardHost } from './host-check.js';
import { answerErrors, errorBody } from './http-errors.js';
import { parseJsonAsStrictUtf8 } from './json-body.js';
import { addOrderRoutes } from './order-routes.js';
import { addStatusRoutes } from './status-routes.js';
import { nameServerSpansAfterRoutes, tracedServer } from './traced-server.js';
import { createWithdrawals } from './withdrawals.js';

/** The API service's HTTP app; `listen` is the caller's, so tests can inject requests. */
export function buildApiApp(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    serverFactory: tracedServer(deps.tracer),
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
  guardHost(app, deps.allowedHosts);
  acceptJsonInUtf8Only(app);
  parseJsonAsStrictUtf8(app);
  nameServerSpansAfterRoutes(app);
  answerErrors(app, deps.logger);
  // Records of orders refused while Redis was away, removed once it is back.
  const withdrawals = createWithdrawals(deps.store, deps.logger);
  app.addHook('onClose', () => withdrawals.close());
  addOrderRoutes(app, deps, withdrawals);
  addStatusRoutes(app, deps);
  return app;
}

function acceptJsonInUtf8Only(app: FastifyInstance): void {
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
}
