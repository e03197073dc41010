import { fetchJson } from '../../errors/index.js';
import { TraceSourceError, unreachable } from './http-trace-source.js';
import type { AnalysisQuery } from '../query/params.js';
import type { StoredAnalysis } from '../query/stored-analysis.js';
import { TRACELAB_API } from '../query/tracelab-api.js';

export interface StoredAnalysisOptions {
  /**
   * How long the analysis may take. Default 120000: 100,000 traces take seconds, more on a busy
   * machine; a query API that does not answer at all is told apart at once (refused).
   */
  readonly timeoutMs?: number;
}

/**
 * Asks the collector at `baseUrl` to analyse a window of its stored traces. Undefined when it
 * cannot (a real Jaeger, or a collector started without the analysis): then read the traces as
 * Jaeger JSON and analyse them here. A query API that is down is a TraceSourceError.
 */
export async function fetchStoredAnalysis(
  baseUrl: string,
  query: AnalysisQuery,
  options: StoredAnalysisOptions = {},
): Promise<StoredAnalysis | undefined> {
  const base = baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 120_000;
  const params: Record<string, string> = {
    start: String(query.startUs),
    end: String(query.endUs),
    limit: String(query.limit),
  };
  if (query.service !== undefined) params.service = query.service;
  const url = `${base}${TRACELAB_API.analysis}?${new URLSearchParams(params).toString()}`;
  const res = await fetchJson(url, {
    timeoutMs,
    unreachable: (err) => unreachable(base, err, timeoutMs),
  });
  const { text, body } = res;
  if (res.status === 404) return undefined;
  if (!res.json) {
    // Not ours to answer (a Jaeger serving its UI's page for any path): read the traces.
    if (res.ok) return undefined;
    throw new TraceSourceError(
      'SOURCE_ERR_BAD_RESPONSE',
      `${url} answered ${res.status}: ${text.slice(0, 200)}`,
    );
  }
  const envelope = body as {
    data?: Partial<StoredAnalysis> | null;
    errors?: Array<{ msg?: string }> | null;
  };
  if (!res.ok) {
    throw new TraceSourceError(
      'SOURCE_ERR_BAD_RESPONSE',
      `${url} answered ${res.status}: ${envelope.errors?.[0]?.msg ?? text.slice(0, 200)}`,
    );
  }
  const data = envelope.data;
  const ok =
    typeof data === 'object' &&
    data !== null &&
    typeof data.traces === 'number' &&
    Array.isArray(data.limited) &&
    typeof data.report === 'object' &&
    data.report !== null;
  return ok ? (data as StoredAnalysis) : undefined;
}
