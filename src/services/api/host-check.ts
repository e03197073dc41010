import type { FastifyInstance } from 'fastify';
import { allowedHostNames, checkHost, NOSNIFF, refusalBody } from '../../http-guard/index.js';

/**
 * The first hook of every request: a Host the API does not answer to (a DNS-rebound name) gets
 * 421 and reaches no route. Every answer says nosniff, so a browser never reads JSON as script.
 * Without `allowed`, the API answers to the loopback names only.
 */
export function guardHost(app: FastifyInstance, allowed = allowedHostNames({})): void {
  app.addHook('onRequest', async (request, reply) => {
    void reply.header(NOSNIFF.name, NOSNIFF.value);
    const refusal = checkHost(request.headers.host, allowed);
    // The connection closes after the refusal: the body it did not read cannot hold it open.
    if (refusal)
      return reply.status(refusal.status).header('connection', 'close').send(refusalBody(refusal));
  });
}
