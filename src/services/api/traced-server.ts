import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Tracer } from '@opentelemetry/api';
import type { FastifyInstance, FastifyServerFactory } from 'fastify';
import { nameServerSpan, traceRequests } from '../../telemetry/index.js';

/**
 * A fastify server factory whose requests are traced (see telemetry/server-spans.ts), with
 * the timeouts fastify would set on a server of its own making.
 */
export function tracedServer(tracer: Tracer): FastifyServerFactory {
  return (handler, options) => {
    const server: Server = createServer(traceRequests(tracer, handler));
    server.keepAliveTimeout = options.keepAliveTimeout as number;
    server.requestTimeout = options.requestTimeout as number;
    server.setTimeout(options.connectionTimeout as number);
    return server;
  };
}

/** Names each request's server span after its route, as the router matched it. */
export function nameServerSpansAfterRoutes(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    nameServerSpan(request.raw, request.routeOptions.url);
    done();
  });
}
