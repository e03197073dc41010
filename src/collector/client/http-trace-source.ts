import { DEFAULT_QUERY_PORT } from '../../config/index.js';
import { fetchJson, TracelabError } from '../../errors/index.js';
import type {
  JaegerSpan,
  JaegerDependencyLink,
  JaegerOperation,
  JaegerResponse,
  JaegerTrace,
} from '../../model/index.js';
import type { TraceQuery } from '../query/params.js';
import type { TraceSource } from '../query/trace-source.js';

export const TRACE_SOURCE_ERRORS = {
  SOURCE_ERR_UNREACHABLE: 'the trace query API does not answer',
  SOURCE_ERR_BAD_RESPONSE: 'the trace query API answered with something else than Jaeger JSON',
} as const;

export type TraceSourceErrorCode = keyof typeof TRACE_SOURCE_ERRORS;

export class TraceSourceError extends TracelabError {
  declare readonly code: TraceSourceErrorCode;
  constructor(code: TraceSourceErrorCode, message: string, hint?: string) {
    super(code, message, hint === undefined ? {} : { hint });
  }
}

export interface HttpTraceSourceOptions {
  /** Per request; a query API that does not answer in time is reported as unreachable. */
  readonly timeoutMs?: number;
}

/**
 * A TraceSource over HTTP: the collector's query API or a real Jaeger's (`/api/...`, the JSON
 * its UI reads). Answers are checked for the envelope's shape before use; an API that is down
 * gives a quick TraceSourceError, not a hang.
 */
export function httpTraceSource(
  baseUrl: string,
  options: HttpTraceSourceOptions = {},
): TraceSource {
  const base = baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 15_000;

  /** The `data` of a Jaeger answer; undefined for a 404 only where `missingOk` (one trace). */
  async function get<T>(
    path: string,
    query: Record<string, string> = {},
    missingOk = false,
  ): Promise<T | undefined> {
    const qs = new URLSearchParams(query).toString();
    const url = `${base}${path}${qs ? `?${qs}` : ''}`;
    const res = await fetchJson(url, {
      timeoutMs,
      unreachable: (err) => unreachable(base, err, timeoutMs),
    });
    const { text, body } = res;
    if (res.status === 404 && missingOk && text.includes('"data"')) return undefined;
    if (!res.json) {
      throw new TraceSourceError(
        'SOURCE_ERR_BAD_RESPONSE',
        `${url} answered ${res.status} with something else than Jaeger JSON${text ? `: ${text.slice(0, 120)}` : ''}`,
        `is --url the query API (port ${DEFAULT_QUERY_PORT}), not the OTLP receiver or the shop?`,
      );
    }
    const envelope = body as Partial<JaegerResponse<unknown>>;
    if (!res.ok) {
      const msg = envelope.errors?.[0]?.msg ?? text.slice(0, 200);
      throw new TraceSourceError(
        'SOURCE_ERR_BAD_RESPONSE',
        `${url} answered ${res.status}: ${msg}`,
      );
    }
    if (typeof body !== 'object' || body === null || !('data' in body)) {
      throw new TraceSourceError(
        'SOURCE_ERR_BAD_RESPONSE',
        `${url} did not answer with Jaeger's {"data": …} envelope`,
      );
    }
    return envelope.data as T;
  }

  return {
    async getTrace(traceId) {
      const data = await get<unknown[]>(`/api/traces/${encodeURIComponent(traceId)}`, {}, true);
      const first = Array.isArray(data) ? data[0] : undefined;
      return first === undefined ? undefined : checkTrace(first, `trace ${traceId}`);
    },
    async findTraces(query: TraceQuery) {
      const params: Record<string, string> = {
        service: query.service,
        start: String(query.startUs),
        end: String(query.endUs),
        limit: String(query.limit),
      };
      if (query.operation) params.operation = query.operation;
      if (Object.keys(query.tags).length) params.tags = JSON.stringify(query.tags);
      if (query.minDurationUs !== undefined) params.minDuration = `${query.minDurationUs}us`;
      if (query.maxDurationUs !== undefined) params.maxDuration = `${query.maxDurationUs}us`;
      const data = (await get<unknown[]>('/api/traces', params)) ?? [];
      if (!Array.isArray(data)) throw badShape('/api/traces', 'data is not a list');
      return data.map((t, i) => checkTrace(t, `trace ${i + 1} of /api/traces`));
    },
    async services() {
      const data = (await get<unknown>('/api/services')) ?? [];
      if (!Array.isArray(data) || !data.every((s) => typeof s === 'string')) {
        throw badShape('/api/services', 'data is not a list of names');
      }
      return data;
    },
    async operations(service, spanKind) {
      const data = await get<JaegerOperation[]>(
        '/api/operations',
        spanKind ? { service, spanKind } : { service },
      );
      return data ?? [];
    },
    async dependencies(endUs, lookbackUs) {
      const data = await get<JaegerDependencyLink[]>('/api/dependencies', {
        endTs: String(Math.floor(endUs / 1000)),
        lookback: String(Math.floor(lookbackUs / 1000)),
      });
      return data ?? [];
    },
  };
}

/** A query API that did not answer (refused, unknown host, timed out), as the error to throw. */
export function unreachable(base: string, err: unknown, timeoutMs: number): TraceSourceError {
  const c = (err as { cause?: { code?: string; message?: string } }).cause;
  const cause = c?.code ?? c?.message;
  const why =
    (err as Error).name === 'TimeoutError'
      ? `no answer in ${timeoutMs / 1000} s`
      : (cause ?? (err as Error).message);
  return new TraceSourceError(
    'SOURCE_ERR_UNREACHABLE',
    `cannot reach the trace query API at ${base} (${why})`,
    'start the lab with `tracelab up` (or `tracelab collector`), or point --url at a Jaeger query API',
  );
}

function badShape(what: string, problem: string): TraceSourceError {
  return new TraceSourceError('SOURCE_ERR_BAD_RESPONSE', `${what}: ${problem}`);
}

/**
 * The checks that keep the analysis from reading garbage: the fields it walks, with their
 * types. Extra fields are left alone; odd but well-typed traces are the analysis's business.
 */
export function checkTrace(value: unknown, what: string): JaegerTrace {
  const t = value as Partial<JaegerTrace> | null;
  if (typeof t !== 'object' || t === null) throw badShape(what, 'not an object');
  if (typeof t.traceID !== 'string') throw badShape(what, 'traceID is not a string');
  if (!Array.isArray(t.spans)) throw badShape(what, 'spans is not a list');
  if (typeof t.processes !== 'object' || t.processes === null) {
    throw badShape(what, 'processes is not an object');
  }
  for (const [i, s] of (t.spans as unknown[] as Array<Partial<JaegerSpan> | null>).entries()) {
    const ok =
      typeof s === 'object' &&
      s !== null &&
      typeof s.spanID === 'string' &&
      typeof s.operationName === 'string' &&
      typeof s.startTime === 'number' &&
      typeof s.duration === 'number' &&
      typeof s.processID === 'string' &&
      Array.isArray(s.references) &&
      Array.isArray(s.tags);
    if (!ok) {
      throw badShape(
        what,
        `span ${i + 1} lacks spanID, operationName, startTime, duration, processID, references or tags`,
      );
    }
  }
  return t as JaegerTrace;
}
