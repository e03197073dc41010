import type { SpanRecord } from '../store/span-record.js';
import type { AnalysisQuery } from './params.js';
import type { TraceStore } from '../store/trace-store.js';

/**
 * Analyses stored traces, read with `storedTraceReader`: the analysis module's analyzeTraces,
 * handed in by the CLI (the collector sits beside the analysis, not above it). Its answer is
 * sent as JSON.
 */
export type AnalyzeStored = (
  traces: ReadonlyArray<readonly SpanRecord[]>,
  options: { readonly service?: string },
) => unknown;

/** `GET /api/tracelab/analysis`'s answer. */
export interface StoredAnalysis {
  /** Traces analysed. */
  readonly traces: number;
  /** Services whose search reached the limit: older traces in the window were left out. */
  readonly limited: readonly string[];
  readonly report: unknown;
}

/**
 * The traces `tracelab analyze` reads from the query API for a window, in the same order: for
 * each service (or the one asked for), the most recent `limit` traces with a span of it in the
 * window, as `/api/traces` finds them; each trace once, where it was first met.
 */
export function tracesInWindow(
  store: TraceStore,
  query: AnalysisQuery,
): { traces: Array<readonly SpanRecord[]>; limited: string[] } {
  const services = query.service !== undefined ? [query.service] : store.services();
  return store.findTracesOfEach(services, {
    operation: '',
    tags: {},
    startUs: query.startUs,
    endUs: query.endUs,
    limit: query.limit,
  });
}

/** The stored traces of a window, analysed where they are: no Jaeger JSON built or sent. */
export function analyseStored(
  store: TraceStore,
  analyze: AnalyzeStored,
  query: AnalysisQuery,
): StoredAnalysis {
  const { traces, limited } = tracesInWindow(store, query);
  const options = query.service !== undefined ? { service: query.service } : {};
  return { traces: traces.length, limited, report: analyze(traces, options) };
}
