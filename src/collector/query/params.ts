import { parseDurationUs } from '../../config/index.js';
import { CollectorError } from '../errors.js';
import { micros } from '../store/span-record.js';
import type { Microseconds, SpanKindName } from '../store/span-record.js';

/** A search for traces, in the terms of Jaeger's `/api/traces` parameters. */
export interface TraceQuery {
  readonly service: string;
  /** '' for any operation. */
  readonly operation: string;
  /** All must match one span (its tags, its process's tags or its logs' fields). */
  readonly tags: Readonly<Record<string, string>>;
  readonly minDurationUs?: Microseconds;
  readonly maxDurationUs?: Microseconds;
  readonly startUs: Microseconds;
  readonly endUs: Microseconds;
  readonly limit: number;
}

export type QueryInput = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Jaeger looks back two days when a search gives no start. */
const DEFAULT_LOOKBACK_US = 2 * 24 * 3600 * 1_000_000;
const DEFAULT_LIMIT = 100;
const DEFAULT_DEPENDENCIES_LOOKBACK_MS = 24 * 3600 * 1000;

function badParam(name: string, problem: string): CollectorError {
  return new CollectorError('QUERY_BAD_PARAM', `${name}: ${problem}`);
}

function single(q: QueryInput, name: string): string | undefined {
  const v = q[name];
  const text = Array.isArray(v) ? (v as readonly string[])[0] : (v as string | undefined);
  return text === undefined || text === '' ? undefined : text;
}

function list(q: QueryInput, name: string): readonly string[] {
  const v = q[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]) as readonly string[];
}

/** A Go-style duration (`1.2s`, `100ms`, `50us`, `1m30s`; plus `2d`) in microseconds. */
export function parseDuration(text: string): Microseconds | undefined {
  const us = parseDurationUs(text);
  return us === undefined ? undefined : micros(us);
}

function durationParam(q: QueryInput, name: string): Microseconds | undefined {
  const text = single(q, name);
  if (text === undefined) return undefined;
  const us = parseDuration(text);
  if (us === undefined) {
    throw badParam(name, `expected a duration like 1.2s, 100ms or 50us, got "${text}"`);
  }
  return us;
}

function integerParam(q: QueryInput, name: string, unit: string): number | undefined {
  const text = single(q, name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw badParam(name, `expected a whole number of ${unit}, got "${text}"`);
  }
  return Number(text);
}

function parseTags(q: QueryInput): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const text of list(q, 'tags')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw badParam('tags', `expected a JSON object like {"http.status_code":"500"}, got ${text}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw badParam('tags', `expected a JSON object like {"http.status_code":"500"}, got ${text}`);
    }
    for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        throw badParam('tags', `the value of "${key}" must be a string, number or boolean`);
      }
      tags[key] = String(value);
    }
  }
  for (const text of list(q, 'tag')) {
    const colon = text.indexOf(':');
    if (colon <= 0) throw badParam('tag', `expected key:value, got "${text}"`);
    tags[text.slice(0, colon)] = text.slice(colon + 1);
  }
  return tags;
}

/** `/api/traces` search parameters. `nowUs` is passed in so this stays pure. */
export function parseTraceQuery(q: QueryInput, nowUs: number): TraceQuery {
  const service = single(q, 'service');
  if (service === undefined) throw badParam('service', 'required');
  const minDurationUs = durationParam(q, 'minDuration');
  const maxDurationUs = durationParam(q, 'maxDuration');
  if (minDurationUs !== undefined && maxDurationUs !== undefined && maxDurationUs < minDurationUs) {
    throw badParam('maxDuration', 'must not be less than minDuration');
  }
  const { startUs, endUs } = windowParams(q, nowUs);
  return {
    service,
    operation: single(q, 'operation') ?? '',
    tags: parseTags(q),
    ...(minDurationUs !== undefined ? { minDurationUs } : {}),
    ...(maxDurationUs !== undefined ? { maxDurationUs } : {}),
    startUs,
    endUs,
    limit: integerParam(q, 'limit', 'traces') || DEFAULT_LIMIT,
  };
}

/** `start` and `end` (µs), or `lookback` from `end`; as `/api/traces` reads them. */
function windowParams(
  q: QueryInput,
  nowUs: number,
): { startUs: Microseconds; endUs: Microseconds } {
  const endUs = integerParam(q, 'end', 'microseconds since the epoch') ?? nowUs;
  const lookbackText = single(q, 'lookback');
  let lookbackUs = DEFAULT_LOOKBACK_US;
  if (lookbackText !== undefined && lookbackText !== 'custom') {
    const parsed = parseDuration(lookbackText);
    if (parsed === undefined) {
      throw badParam('lookback', `expected a duration like 1h or 2d, got "${lookbackText}"`);
    }
    lookbackUs = parsed;
  }
  const startUs = integerParam(q, 'start', 'microseconds since the epoch') ?? endUs - lookbackUs;
  if (endUs < startUs) throw badParam('end', 'must not be before start');
  return { startUs: micros(startUs), endUs: micros(endUs) };
}

/** What `GET /api/tracelab/analysis` analyses: `tracelab analyze`'s window and options. */
export interface AnalysisQuery {
  /** Only this service: its traces, and its stages in the report. */
  readonly service?: string;
  readonly startUs: Microseconds;
  readonly endUs: Microseconds;
  /** Most traces read per service, as `/api/traces` limits a search. */
  readonly limit: number;
}

/** `/api/tracelab/analysis` parameters: `/api/traces`' window and limit, the service optional. */
export function parseAnalysisQuery(q: QueryInput, nowUs: number): AnalysisQuery {
  const service = single(q, 'service');
  return {
    ...(service !== undefined ? { service } : {}),
    ...windowParams(q, nowUs),
    limit: integerParam(q, 'limit', 'traces') || DEFAULT_LIMIT,
  };
}

const SPAN_KINDS: readonly SpanKindName[] = [
  'internal',
  'server',
  'client',
  'producer',
  'consumer',
];

/** `/api/operations` parameters. */
export function parseOperationsQuery(q: QueryInput): { service: string; spanKind: string } {
  const service = single(q, 'service');
  if (service === undefined) throw badParam('service', 'required');
  const spanKind = single(q, 'spanKind') ?? '';
  if (spanKind !== '' && !SPAN_KINDS.includes(spanKind as SpanKindName)) {
    throw badParam('spanKind', `expected one of ${SPAN_KINDS.join(', ')}, got "${spanKind}"`);
  }
  return { service, spanKind };
}

/** `/api/dependencies` parameters (milliseconds on the wire), in microseconds. */
export function parseDependenciesQuery(
  q: QueryInput,
  nowUs: number,
): { endUs: Microseconds; lookbackUs: Microseconds } {
  const endMs = integerParam(q, 'endTs', 'milliseconds since the epoch');
  const lookbackMs =
    integerParam(q, 'lookback', 'milliseconds') ?? DEFAULT_DEPENDENCIES_LOOKBACK_MS;
  return {
    endUs: micros(endMs === undefined ? nowUs : endMs * 1000),
    lookbackUs: micros(lookbackMs * 1000),
  };
}

/** A trace id as the store keys it; undefined if it is not one. */
export function normalizeTraceId(text: string): string | undefined {
  if (!/^[0-9a-fA-F]{1,32}$/.test(text)) return undefined;
  // Jaeger prints ids without leading zeros' padding when the high half is zero.
  return text.toLowerCase().padStart(32, '0');
}

/** `/api/tracelab/metrics` parameters: an optional service and window in microseconds. */
export function parseMetricsQuery(q: QueryInput): {
  service?: string;
  startUs?: number;
  endUs?: number;
} {
  const service = single(q, 'service');
  const startUs = integerParam(q, 'start', 'microseconds since the epoch');
  const endUs = integerParam(q, 'end', 'microseconds since the epoch');
  if (startUs !== undefined && endUs !== undefined && endUs < startUs) {
    throw badParam('end', 'must not be before start');
  }
  return {
    ...(service !== undefined ? { service } : {}),
    ...(startUs !== undefined ? { startUs } : {}),
    ...(endUs !== undefined ? { endUs } : {}),
  };
}
