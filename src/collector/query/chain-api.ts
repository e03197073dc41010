import type { FastifyInstance } from 'fastify';
import { CollectorError } from '../errors.js';
import type { TraceStore } from '../store/trace-store.js';
import type { SpanRecord } from '../store/span-record.js';
import { toJaegerChain } from './chain-transform.js';
import { envelope } from './jaeger-envelope.js';
import { normalizeTraceId } from './params.js';

export const CHAIN_PATH = '/api/tracelab/chain';

/**
 * `GET /api/tracelab/chain/:traceID`: the trace and every trace linked to it (the consumers'
 * traces of one order in link mode) as one stitched Jaeger trace, with the list of its traces.
 * A trace with no links is a chain of one.
 */
export function registerChainApi(app: FastifyInstance, store: TraceStore): void {
  app.get<{ Params: { traceID: string } }>(`${CHAIN_PATH}/:traceID`, (req) => {
    const traceId = normalizeTraceId(req.params.traceID);
    if (!traceId) {
      throw new CollectorError(
        'QUERY_BAD_PARAM',
        `traceID: "${req.params.traceID}" is not a trace id (up to 32 hex digits)`,
      );
    }
    const traces: Array<readonly SpanRecord[]> = [];
    for (const id of store.chainOf(traceId)) {
      const spans = store.getTrace(id);
      if (spans) traces.push(spans);
    }
    const chain = toJaegerChain(traces);
    if (!chain) throw new CollectorError('TRACE_NOT_FOUND', `trace ${traceId} not found`);
    return Promise.resolve(envelope([chain]));
  });
}
