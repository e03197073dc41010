import type { FastifyInstance } from 'fastify';
import { checkHost, checkOrigin, NOSNIFF, refusalBody } from '../http-guard/index.js';

/**
 * The first hook of a collector port: a Host it does not answer to (a DNS-rebound name) gets
 * 421 and reads or stores nothing; with `refuseForeignOrigin` (the OTLP port, where every
 * request stores spans), so does a request a page on another site sent, with 403. Every answer
 * says nosniff.
 */
export function guardCollectorPort(
  app: FastifyInstance,
  allowed: ReadonlySet<string>,
  options: { readonly refuseForeignOrigin: boolean },
): void {
  app.addHook('onRequest', async (request, reply) => {
    void reply.header(NOSNIFF.name, NOSNIFF.value);
    const refusal =
      checkHost(request.headers.host, allowed) ??
      (options.refuseForeignOrigin ? checkOrigin(request.headers.origin, allowed) : undefined);
    // The connection closes after the refusal: the body it did not read cannot hold it open.
    if (refusal)
      return reply.status(refusal.status).header('connection', 'close').send(refusalBody(refusal));
  });
}
