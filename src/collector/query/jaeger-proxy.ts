import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { allowedHostNames } from '../../http-guard/index.js';
import { guardCollectorPort } from '../edge.js';
import { CollectorError } from '../errors.js';
import { answerErrorsAsJaeger } from './jaeger-envelope.js';
import { registerTracelabApi } from './tracelab-api.js';
import { registerUi } from './ui-assets.js';
import type { UiAssets } from './ui-assets.js';

/** The paths of Jaeger's query API the UI reads; the proxy forwards these and nothing else. */
export const JAEGER_QUERY_PATHS = [
  '/api/services',
  '/api/services/:service/operations',
  '/api/operations',
  '/api/traces',
  '/api/traces/:traceID',
  '/api/dependencies',
] as const;

export interface JaegerProxyOptions {
  /** Jaeger's query base, e.g. http://localhost:16686 (a base path such as /jaeger is kept). */
  readonly jaeger: URL;
  /** The built web UI; without it only the API is served. */
  readonly ui?: UiAssets;
  /** How long Jaeger may take to start answering before the client gets a 502. Default 5000. */
  readonly timeoutMs?: number;
  /** Host names the proxy answers to (see http-guard); the loopback names when absent. */
  readonly allowedHosts?: ReadonlySet<string>;
}

/**
 * The web UI over a real Jaeger: Jaeger's query paths forwarded (status and body streamed),
 * tracelab's own endpoints answering that they need the tracelab collector.
 */
export function buildJaegerProxy(opts: JaegerProxyOptions): FastifyInstance {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const base = opts.jaeger.href.replace(/\/+$/, '');
  const app = fastify({ logger: false });
  guardCollectorPort(app, opts.allowedHosts ?? allowedHostNames({}), {
    refuseForeignOrigin: false,
  });
  if (opts.ui) registerUi(app, opts.ui);

  const forward = async (req: FastifyRequest, reply: FastifyReply) => {
    const controller = new AbortController();
    // Only the wait for Jaeger's headers is bounded: a large trace may take longer to stream.
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let res: Response;
    try {
      res = await fetch(`${base}${req.url}`, {
        headers: { accept: 'application/json' },
        signal: controller.signal,
      });
    } catch (err) {
      throw new CollectorError(
        'JAEGER_UNREACHABLE',
        controller.signal.aborted
          ? `Jaeger at ${base} did not answer within ${timeoutMs} ms`
          : `Jaeger at ${base} did not answer: ${causeOf(err)}`,
      );
    } finally {
      clearTimeout(timer);
    }
    reply.status(res.status);
    const type = res.headers.get('content-type');
    if (type) reply.type(type);
    if (!res.body) return reply.send();
    return reply.send(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>));
  };
  for (const path of JAEGER_QUERY_PATHS) app.get(path, forward);

  registerTracelabApi(app, { backend: 'jaeger' });
  answerErrorsAsJaeger(app);
  return app;
}

/** fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND) is in its cause. */
function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
