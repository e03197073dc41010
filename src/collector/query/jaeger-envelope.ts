import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JaegerResponse } from '../../model/index.js';
import { CollectorError, toErrorReply } from '../errors.js';

/** Jaeger's response envelope, which every JSON endpoint of the query port answers in. */
export function envelope<T>(
  data: T,
  total = Array.isArray(data) ? data.length : 0,
): JaegerResponse<T> {
  return { data, total, limit: 0, offset: 0, errors: null };
}

/** Any error as Jaeger's error envelope, with the status it maps to. */
export function sendJaegerError(err: unknown, _req: FastifyRequest, reply: FastifyReply) {
  const e = toErrorReply(err);
  const body: JaegerResponse<null> = {
    data: null,
    total: 0,
    limit: 0,
    offset: 0,
    errors: [{ code: e.status, msg: e.message, error: e.code }],
  };
  return reply.status(e.status).type('application/json').send(body);
}

/** Errors and unknown paths of a query-port app answered in Jaeger's envelope. */
export function answerErrorsAsJaeger(app: FastifyInstance): void {
  app.setNotFoundHandler((req) => {
    throw new CollectorError('NOT_FOUND', `no ${req.method} ${req.url}`);
  });
  app.setErrorHandler(sendJaegerError);
}
