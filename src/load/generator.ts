import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { LatencyRecorder } from './histogram.js';
import { defaultConnections, plannedSendTimesMs } from './schedule.js';
import type { LoadPlan } from './schedule.js';

/** What each request sends. */
export interface OrderTemplate {
  readonly item: string;
  readonly quantity: number;
  /** Forces every service's work for these orders (`POST /order?intensity=`). */
  readonly intensity?: string;
}

/** One request of a run; times are ms after the run's start. */
export interface RequestOutcome {
  readonly index: number;
  readonly plannedMs: number;
  readonly sentMs: number;
  /** All connections were busy when it was due: it waited for one before leaving. */
  readonly waitedForConnection: boolean;
  /** From the planned send time to the whole answer read; undefined when none came. */
  latencyMs?: number;
  status?: number;
  /** Why it failed: `HTTP 503 ERR_…`, `timeout`, `connection refused`, … */
  error?: string;
  orderId?: string;
  traceId?: string;
}

export interface LoadProgress {
  readonly planned: number;
  readonly sent: number;
  readonly answered: number;
  readonly errors: number;
  readonly elapsedMs: number;
}

export interface LoadRunOptions {
  /** The API's base URL, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly plan: LoadPlan;
  readonly order: OrderTemplate;
  readonly connections?: number;
  readonly timeoutMs?: number;
  /** Stops sending; requests in flight still get their answer. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: LoadProgress) => void;
  readonly progressEveryMs?: number;
}

export interface LoadRun {
  /** Epoch ms of the run's time zero. */
  readonly startedAtMs: number;
  readonly outcomes: readonly RequestOutcome[];
  /** Latency from the planned send time, of every answered request. */
  readonly latency: LatencyRecorder;
  /** How late each request left against its plan: the generator's own precision. */
  readonly sendLag: LatencyRecorder;
  /** From time zero to the last answer. */
  readonly durationMs: number;
  readonly connections: number;
  readonly aborted: boolean;
}

/**
 * Sends the plan's requests open loop: each leaves at its planned time whether or not earlier
 * ones were answered, and its latency counts from that planned time, so a stalled server shows
 * in the percentiles instead of silently slowing the sender (no coordinated omission).
 */
export async function runLoad(options: LoadRunOptions): Promise<LoadRun> {
  const plan = plannedSendTimesMs(options.plan);
  const connections = options.connections ?? defaultConnections(options.plan);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const { pool, path, body } = orderTarget(options, connections, timeoutMs);
  const latency = new LatencyRecorder();
  const sendLag = new LatencyRecorder();
  const outcomes: RequestOutcome[] = [];
  const inFlight = new Set<Promise<void>>();
  let answered = 0;
  let errors = 0;

  // A little lead, so the first request is not late for having been planned at "now".
  const t0 = performance.now() + 2;
  const startedAtMs = Date.now() + 2;
  const progress = (): LoadProgress => ({
    planned: plan.length,
    sent: outcomes.length,
    answered,
    errors,
    elapsedMs: performance.now() - t0,
  });
  const ticker = options.onProgress
    ? setInterval(() => options.onProgress!(progress()), options.progressEveryMs ?? 200)
    : undefined;

  const send = (index: number, plannedMs: number): void => {
    const sentMs = performance.now() - t0;
    sendLag.recordMs(Math.max(0, sentMs - plannedMs));
    const outcome: RequestOutcome = {
      index,
      plannedMs,
      sentMs,
      waitedForConnection: inFlight.size >= connections,
    };
    outcomes.push(outcome);
    const done = pool
      .request({
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
      .then(async (res) => {
        const text = await res.body.text();
        outcome.latencyMs = performance.now() - t0 - plannedMs;
        outcome.status = res.statusCode;
        latency.recordMs(outcome.latencyMs);
        answered++;
        const json = parseJson(text);
        if (res.statusCode === 202 && typeof json?.id === 'string') {
          outcome.orderId = json.id;
          if (typeof json.traceId === 'string') outcome.traceId = json.traceId;
        } else {
          errors++;
          outcome.error = `HTTP ${res.statusCode}${typeof json?.code === 'string' ? ` ${json.code}` : ''}`;
        }
      })
      .catch((err: unknown) => {
        errors++;
        outcome.error = errorKind(err);
      });
    const tracked = done.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  try {
    for (let i = 0; i < plan.length && !options.signal?.aborted;) {
      const dueIn = plan[i]! - (performance.now() - t0);
      if (dueIn <= 0) {
        send(i, plan[i]!);
        i++;
      } else if (dueIn > 2) {
        // Timers fire up to a millisecond late: sleep short, then yield until due.
        await sleep(dueIn - 1.5, undefined, { signal: options.signal }).catch(() => undefined);
      } else {
        await new Promise<void>((r) => setImmediate(r));
      }
    }
    await Promise.all(inFlight);
  } finally {
    if (ticker) clearInterval(ticker);
    options.onProgress?.(progress());
    await pool.close();
  }
  return {
    startedAtMs,
    outcomes,
    latency,
    sendLag,
    durationMs: performance.now() - t0,
    connections,
    aborted: Boolean(options.signal?.aborted),
  };
}

/** Where the orders go: a pool of `connections` to the API, the path and the one body. */
function orderTarget(options: LoadRunOptions, connections: number, timeoutMs: number) {
  const base = new URL(options.url);
  const pool = new Pool(base.origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const path = `${base.pathname.replace(/\/$/, '')}/order${
    options.order.intensity ? `?intensity=${options.order.intensity}` : ''
  }`;
  const body = JSON.stringify({ item: options.order.item, quantity: options.order.quantity });
  return { pool, path, body };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A network failure in words: what a user looks up first. */
function errorKind(err: unknown): string {
  const code = (err as { code?: string }).code;
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'timeout';
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset';
    default:
      return code ?? (err as Error).name ?? 'error';
  }
}
