import { toJaegerTrace } from './jaeger-transform.js';
import type { JaegerDependencyLink, JaegerOperation, JaegerTrace } from '../../model/index.js';
import type { Microseconds } from '../store/span-record.js';
import type { TraceQuery } from './params.js';
import type { TraceStore } from '../store/trace-store.js';

/**
 * Where traces are read from, in Jaeger's JSON: the collector's own store, or (behind the same
 * interface) a real Jaeger's HTTP API. The query API and analysis code hold only this.
 */
export interface TraceSource {
  getTrace(traceId: string): Promise<JaegerTrace | undefined>;
  findTraces(query: TraceQuery): Promise<JaegerTrace[]>;
  services(): Promise<string[]>;
  operations(service: string, spanKind?: string): Promise<JaegerOperation[]>;
  dependencies(endUs: Microseconds, lookbackUs: Microseconds): Promise<JaegerDependencyLink[]>;
}

/** The store's read side as a TraceSource. */
export function storeTraceSource(store: TraceStore): TraceSource {
  return {
    getTrace(traceId) {
      const spans = store.getTrace(traceId);
      return Promise.resolve(spans && toJaegerTrace(spans));
    },
    findTraces(query) {
      const traces: JaegerTrace[] = [];
      for (const spans of store.findTraces(query)) {
        const trace = toJaegerTrace(spans);
        if (trace) traces.push(trace);
      }
      return Promise.resolve(traces);
    },
    services: () => Promise.resolve(store.services()),
    operations: (service, spanKind) => Promise.resolve(store.operations(service, spanKind)),
    dependencies: (endUs, lookbackUs) => Promise.resolve(store.dependencies(endUs, lookbackUs)),
  };
}
