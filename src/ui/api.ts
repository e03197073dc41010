import { DROPPED_SPANS_PATH } from '../model/index.js';
import type {
  DroppedSpansReport,
  JaegerChainTrace,
  JaegerResponse,
  JaegerTrace,
} from '../model/index.js';

/** A failed request, with the server's own words when it gave any. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** GETs a JSON body from this origin (the UI never asks anywhere else). */
async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, {
    signal: signal ?? null,
    headers: { accept: 'application/json' },
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = parseJson(text);
  } catch {
    throw new ApiError(`${path}: ${res.status} ${text.slice(0, 200)}`, res.status);
  }
  if (!res.ok) {
    const errors = (body as Partial<JaegerResponse<unknown>>).errors;
    const said = errors?.[0]?.msg ?? (body as { message?: string }).message ?? res.statusText;
    throw new ApiError(said, res.status);
  }
  return body as T;
}

/**
 * JSON.parse, except that a tag's int64 value beyond 2^53 (which the collector writes with
 * every digit) keeps its digits, as a string, where the browser shows a reviver the source
 * text; elsewhere it is the nearest double, as before.
 */
function parseJson(text: string): unknown {
  return /\d{16}/.test(text) ? JSON.parse(text, exactTagValue) : JSON.parse(text);
}

function exactTagValue(
  this: { type?: unknown },
  key: string,
  value: unknown,
  context?: { source?: string },
): unknown {
  const source = context?.source;
  return key === 'value' &&
    this.type === 'int64' &&
    typeof value === 'number' &&
    !Number.isSafeInteger(value) &&
    source !== undefined &&
    /^-?\d+$/.test(source)
    ? source
    : value;
}

async function data<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await getJson<JaegerResponse<T>>(path, signal)).data;
}

export const fetchServices = (signal?: AbortSignal) => data<string[]>('/api/services', signal);

export const fetchOperations = (service: string, signal?: AbortSignal) =>
  data<string[]>(`/api/services/${encodeURIComponent(service)}/operations`, signal);

/** The search form's fields, as Jaeger's /api/traces takes them. */
export interface TraceSearch {
  readonly service: string;
  readonly operation?: string;
  /** `key=value` pairs separated by spaces, e.g. `workload.intensity=severe error=true`. */
  readonly tags?: string;
  readonly minDuration?: string;
  readonly maxDuration?: string;
  readonly lookback?: string;
  readonly limit?: number;
}

/** Parses "a=b c=d" into {"a":"b","c":"d"}; undefined when a pair has no "=". */
export function parseTagFilter(text: string): Record<string, string> | undefined {
  const tags: Record<string, string> = {};
  for (const pair of text.trim().split(/\s+/).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return undefined;
    tags[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return tags;
}

function searchQuery(q: TraceSearch): URLSearchParams {
  const p = new URLSearchParams({ service: q.service });
  if (q.operation) p.set('operation', q.operation);
  const tags = q.tags ? parseTagFilter(q.tags) : undefined;
  if (tags && Object.keys(tags).length > 0) p.set('tags', JSON.stringify(tags));
  if (q.minDuration) p.set('minDuration', q.minDuration);
  if (q.maxDuration) p.set('maxDuration', q.maxDuration);
  p.set('lookback', q.lookback || '1h');
  p.set('limit', String(q.limit ?? 20));
  return p;
}

export const findTraces = (q: TraceSearch, signal?: AbortSignal) =>
  data<JaegerTrace[]>(`/api/traces?${searchQuery(q).toString()}`, signal);

export async function fetchTrace(traceID: string, signal?: AbortSignal): Promise<JaegerTrace> {
  const traces = await data<JaegerTrace[]>(`/api/traces/${encodeURIComponent(traceID)}`, signal);
  const trace = traces[0];
  if (!trace) throw new ApiError(`trace ${traceID} not found`, 404);
  return trace;
}

/**
 * A trace and the traces linked to it (link mode: one per consumer) stitched into one, with
 * the list of its traces; the tracelab collector's, so a real Jaeger answers 404.
 */
export async function fetchChain(traceID: string, signal?: AbortSignal): Promise<JaegerChainTrace> {
  const chains = await data<JaegerChainTrace[]>(
    `/api/tracelab/chain/${encodeURIComponent(traceID)}`,
    signal,
  );
  const chain = chains[0];
  if (!chain) throw new ApiError(`trace ${traceID} not found`, 404);
  return chain;
}

/** Which of tracelab's own endpoints this server has (a real Jaeger has none of them). */
export interface Capabilities {
  readonly metrics: boolean;
  readonly lag: boolean;
  /** Why an endpoint is missing, in the server's words. */
  readonly reasons: { readonly metrics?: string; readonly lag?: string };
}

const NOT_WITH_JAEGER = 'not available with Jaeger: it comes from the tracelab collector';

interface CapabilitiesBody {
  readonly backend: 'tracelab' | 'jaeger';
  readonly endpoints: Readonly<
    Record<'metrics' | 'lag', { readonly available: boolean; readonly reason?: string }>
  >;
}

/** Before the first answer, and against a server without the endpoint: nothing of ours. */
export const NO_CAPABILITIES: Capabilities = {
  metrics: false,
  lag: false,
  reasons: { metrics: NOT_WITH_JAEGER, lag: NOT_WITH_JAEGER },
};

export async function fetchCapabilities(signal?: AbortSignal): Promise<Capabilities> {
  try {
    const { endpoints } = await data<CapabilitiesBody>('/api/tracelab/capabilities', signal);
    const reason = (e: { available: boolean; reason?: string }) =>
      e.available ? undefined : (e.reason ?? NOT_WITH_JAEGER);
    const metricsReason = reason(endpoints.metrics);
    const lagReason = reason(endpoints.lag);
    return {
      metrics: endpoints.metrics.available,
      lag: endpoints.lag.available,
      reasons: {
        ...(metricsReason ? { metrics: metricsReason } : {}),
        ...(lagReason ? { lag: lagReason } : {}),
      },
    };
  } catch (err) {
    // A real Jaeger behind no tracelab proxy has no such path.
    if (err instanceof ApiError && err.status === 404) return NO_CAPABILITIES;
    throw err;
  }
}

/** One process's resource samples: time in µs, CPU in % of one core, memory in MB. */
export interface ResourceSeries {
  readonly service: string;
  readonly pid: number | null;
  readonly points: readonly {
    readonly t: number;
    readonly cpuPercent: number | null;
    readonly memoryMb: number | null;
  }[];
}

export const fetchMetrics = (
  service: string,
  startUs: number,
  endUs: number,
  signal?: AbortSignal,
) =>
  data<ResourceSeries[]>(
    `/api/tracelab/metrics?service=${encodeURIComponent(service)}&start=${Math.floor(startUs)}&end=${Math.ceil(endUs)}`,
    signal,
  );

/** A consumer group's backlog on its topic. */
export interface GroupLag {
  readonly group: string;
  readonly topic: string;
  /** Messages not yet delivered to the group. */
  readonly lag: number;
  /** Delivered, not yet acknowledged; null where the bus does not say. */
  readonly pending: number | null;
}

export interface LagReport {
  readonly bus: string;
  readonly timeUs: number;
  readonly groups: readonly GroupLag[];
}

export const fetchLag = (signal?: AbortSignal) => data<LagReport>('/api/tracelab/lag', signal);

/** Spans the services gave up exporting; none when the backend cannot say (Jaeger). */
export async function fetchDroppedSpans(signal?: AbortSignal): Promise<DroppedSpansReport> {
  try {
    return await data<DroppedSpansReport>(DROPPED_SPANS_PATH, signal);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return { total: 0, services: [] };
    throw err;
  }
}

/** The running scenario as the lab shows it before an answer: never its truth. */
export interface ScenarioView {
  readonly id?: string;
  readonly level?: string;
  readonly title: string;
  readonly mystery: boolean;
  readonly question: string;
  readonly hintsShown: number;
  readonly hintsTotal: number;
  readonly hints: readonly string[];
  readonly causes: readonly string[];
  readonly services: readonly string[];
  readonly views: readonly { readonly label: string; readonly url: string }[];
}

/** An answer graded by the lab, as `tracelab scenario answer --json` prints it. */
export interface ScenarioGrade {
  readonly correct: boolean;
  readonly serviceCorrect: boolean;
  readonly causeCorrect: boolean | null;
  readonly explanation: string;
  readonly evidence: {
    readonly service: string;
    readonly traces: number;
    readonly figures: Readonly<Record<string, number | string | null>>;
    readonly lines: readonly string[];
    readonly links: readonly { readonly label: string; readonly url: string }[];
  } | null;
}

export const fetchScenario = (signal?: AbortSignal) =>
  data<ScenarioView | null>('/api/tracelab/scenario', signal);

/** POSTs JSON to this origin (a change the lab checks: JSON, from its own pages). */
async function postJson<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(path, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const parsed = (await res.json().catch(() => ({}))) as Partial<JaegerResponse<T>> & {
    message?: string;
  };
  if (!res.ok) {
    throw new ApiError(
      parsed.errors?.[0]?.msg ?? parsed.message ?? `${path}: ${res.status}`,
      res.status,
    );
  }
  return parsed.data as T;
}

export const nextScenarioHint = () =>
  postJson<ScenarioView | null>('/api/tracelab/scenario/hint', {});
export const answerScenario = (service: string, cause: string) =>
  postJson<ScenarioGrade>('/api/tracelab/scenario/answer', {
    service,
    ...(cause ? { cause } : {}),
  });

/** A change the autoscaler of `tracelab up` made to a consumer's replica count. */
export interface ScalingEvent {
  /** ms since the epoch. */
  readonly at: number;
  /** The service kind (`processing`), not its service.name. */
  readonly service: string;
  readonly from: number;
  readonly to: number;
  readonly reason: string;
  readonly backlog: number;
  /** Set when the change was asked for and failed. */
  readonly error?: string;
}

/** The lab's last scaling events, oldest first; none where the backend cannot say. */
export async function fetchScalingEvents(signal?: AbortSignal): Promise<readonly ScalingEvent[]> {
  try {
    return (await data<{ events: ScalingEvent[] }>('/api/tracelab/autoscale', signal)).events;
  } catch (err) {
    // Jaeger, a collector run alone, or a lab that is gone: a timeline without marks.
    if (err instanceof ApiError) return [];
    throw err;
  }
}
