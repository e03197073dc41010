import fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { CollectorError } from '../errors.js';
import { exactJson } from '../store/int64.js';
import { answerErrorsAsJaeger, envelope } from './jaeger-envelope.js';
import {
  normalizeTraceId,
  parseDependenciesQuery,
  parseOperationsQuery,
  parseTraceQuery,
} from './params.js';
import type { QueryInput } from './params.js';
import type { TraceSource } from './trace-source.js';
import { registerUi } from './ui-assets.js';
import type { UiAssets } from './ui-assets.js';

export interface QueryApiOptions {
  readonly source: TraceSource;
  /** The clock, in microseconds since the epoch; searches default to windows ending now. */
  readonly nowUs?: () => number;
  /** The built web UI, served beside the API; without it only the API answers. */
  readonly ui?: UiAssets;
}

/** Jaeger's HTTP JSON query API, as its UI uses it, over any TraceSource. */
export function buildQueryApi(opts: QueryApiOptions): FastifyInstance {
  const { source } = opts;
  const nowUs = opts.nowUs ?? (() => Date.now() * 1000);
  const app = fastify({ logger: false });
  // int64 tags beyond 2^53 with all their digits, as Jaeger writes them.
  app.setReplySerializer((payload) => exactJson(payload));
  if (opts.ui) registerUi(app, opts.ui);

  app.get('/api/services', async () => envelope(await source.services()));

  app.get<{ Params: { service: string } }>('/api/services/:service/operations', async (req) => {
    const ops = await source.operations(req.params.service);
    return envelope([...new Set(ops.map((o) => o.name))]);
  });

  app.get('/api/operations', async (req) => {
    const { service, spanKind } = parseOperationsQuery(req.query as QueryInput);
    return envelope(await source.operations(service, spanKind));
  });

  app.get('/api/traces', async (req) => {
    const q = req.query as QueryInput;
    const ids = q.traceID === undefined ? [] : [q.traceID].flat();
    if (ids.length > 0) {
      const traces = [];
      for (const text of ids) {
        const traceId = normalizeTraceId(text);
        if (!traceId)
          throw new CollectorError('QUERY_BAD_PARAM', `traceID: "${text}" is not a trace id`);
        const trace = await source.getTrace(traceId);
        if (trace) traces.push(trace);
      }
      return envelope(traces);
    }
    return envelope(await source.findTraces(parseTraceQuery(q, nowUs())));
  });

  app.get<{ Params: { traceID: string } }>('/api/traces/:traceID', async (req) => {
    const traceId = normalizeTraceId(req.params.traceID);
    if (!traceId) {
      throw new CollectorError(
        'QUERY_BAD_PARAM',
        `traceID: "${req.params.traceID}" is not a trace id (up to 32 hex digits)`,
      );
    }
    const trace = await source.getTrace(traceId);
    if (!trace) throw new CollectorError('TRACE_NOT_FOUND', `trace ${traceId} not found`);
    return envelope([trace]);
  });

  app.get('/api/dependencies', async (req) => {
    const { endUs, lookbackUs } = parseDependenciesQuery(req.query as QueryInput, nowUs());
    return envelope(await source.dependencies(endUs, lookbackUs));
  });

  answerErrorsAsJaeger(app);
  return app;
}
