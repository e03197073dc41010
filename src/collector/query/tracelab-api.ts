import { DROPPED_SPANS_PATH } from '../../model/index.js';
import type { FastifyInstance } from 'fastify';
import type { LagEntry } from '../../model/index.js';
import { withTimeout } from '../../errors/index.js';
import { CollectorError } from '../errors.js';
import type { MetricsStore } from '../store/metrics-store.js';
import { envelope } from './jaeger-envelope.js';
import { parseAnalysisQuery, parseMetricsQuery } from './params.js';
import type { QueryInput } from './params.js';
import { analyseStored } from './stored-analysis.js';
import type { AnalyzeStored } from './stored-analysis.js';
import type { TraceStore } from '../store/trace-store.js';

/** tracelab's own endpoints, beside Jaeger's query API on the same port. */
export const TRACELAB_API = {
  capabilities: '/api/tracelab/capabilities',
  metrics: '/api/tracelab/metrics',
  lag: '/api/tracelab/lag',
  analysis: '/api/tracelab/analysis',
  droppedSpans: DROPPED_SPANS_PATH,
} as const;

/** Reads consumer lag from the bus the services use (Bus.lag behind it, wired by the CLI). */
export interface LagSource {
  /** `redis` or `kafka`. */
  readonly system: string;
  read(): Promise<readonly LagEntry[]>;
  close(): Promise<void>;
}

/** One consumer group on one topic; Kafka's partitions summed, and listed. */
export interface GroupLag {
  readonly group: string;
  readonly topic: string;
  /** Messages not yet delivered to the group. */
  readonly lag: number;
  /** Delivered, not yet acknowledged (Redis Streams); null where the bus does not say. */
  readonly pending: number | null;
  /** Kafka only: each partition's committed and end offsets. */
  readonly partitions?: readonly LagEntry[];
}

export interface LagReport {
  readonly bus: string;
  /** When it was read, µs since the epoch. */
  readonly timeUs: number;
  readonly groups: readonly GroupLag[];
}

export interface Capability {
  readonly available: boolean;
  readonly path: string;
  /** Why not, when not available. */
  readonly reason?: string;
}

export interface Capabilities {
  /** What answers the Jaeger query API: this collector, or a real Jaeger behind a proxy. */
  readonly backend: 'tracelab' | 'jaeger';
  readonly endpoints: {
    readonly metrics: Capability;
    readonly lag: Capability;
    readonly analysis: Capability;
  };
}

export interface TracelabApiOptions {
  readonly backend: 'tracelab' | 'jaeger';
  /** Resource series; absent with Jaeger. */
  readonly metrics?: MetricsStore;
  /** Consumer lag; absent without bus settings, and with Jaeger. */
  readonly lag?: LagSource;
  /** Trace analysis over the store; absent with Jaeger. */
  readonly analysis?: { readonly store: TraceStore; readonly analyze: AnalyzeStored };
  /** How long the bus may take to answer. Default 3000. */
  readonly lagTimeoutMs?: number;
  readonly nowUs?: () => number;
}

const JAEGER_REASON =
  'not available with Jaeger: it comes from the tracelab collector (tracelab up / tracelab collector)';
const NO_BUS_REASON =
  'the collector was started without bus settings (tracelab up passes them; tracelab collector --bus redis|kafka)';

export function capabilities(opts: TracelabApiOptions): Capabilities {
  const reasonOf = (present: boolean, absentReason: string) =>
    present ? {} : { reason: opts.backend === 'jaeger' ? JAEGER_REASON : absentReason };
  return {
    backend: opts.backend,
    endpoints: {
      metrics: {
        available: opts.metrics !== undefined,
        path: TRACELAB_API.metrics,
        ...reasonOf(opts.metrics !== undefined, 'no metrics store'),
      },
      lag: {
        available: opts.lag !== undefined,
        path: TRACELAB_API.lag,
        ...reasonOf(opts.lag !== undefined, NO_BUS_REASON),
      },
      analysis: {
        available: opts.analysis !== undefined,
        path: TRACELAB_API.analysis,
        ...reasonOf(opts.analysis !== undefined, 'the collector was started without it'),
      },
    },
  };
}

/** Lag entries → one line per group and topic, Kafka's partitions summed. Pure. */
function groupLag(entries: readonly LagEntry[]): GroupLag[] {
  const byGroup = new Map<string, LagEntry[]>();
  for (const e of entries) {
    const key = `${e.group}\u0000${e.topic}`;
    const list = byGroup.get(key);
    if (list) list.push(e);
    else byGroup.set(key, [e]);
  }
  return [...byGroup.values()].map((list) => {
    const first = list[0]!;
    const pending = list.some((e) => e.pending !== undefined)
      ? list.reduce((n, e) => n + (e.pending ?? 0), 0)
      : null;
    return {
      group: first.group,
      topic: first.topic,
      lag: list.reduce((n, e) => n + e.lag, 0),
      pending,
      ...(list.some((e) => e.partition !== undefined) ? { partitions: list } : {}),
    };
  });
}

/**
 * `GET /api/tracelab/capabilities`, `/metrics`, `/dropped-spans`, `/lag` and `/analysis` on an app whose error
 * handler answers in Jaeger's envelope. What is absent answers 404 saying why, so the UI (and
 * `tracelab analyze`) can say it too.
 */
export function registerTracelabApi(app: FastifyInstance, opts: TracelabApiOptions): void {
  const nowUs = opts.nowUs ?? (() => Date.now() * 1000);
  const lagTimeoutMs = opts.lagTimeoutMs ?? 3000;
  const caps = capabilities(opts);

  app.get(TRACELAB_API.capabilities, () => Promise.resolve(envelope(caps, 0)));

  app.get(TRACELAB_API.metrics, (req) => {
    const query = parseMetricsQuery(req.query as QueryInput);
    if (!opts.metrics) {
      throw new CollectorError('NOT_AVAILABLE_WITH_JAEGER', `resource series are ${JAEGER_REASON}`);
    }
    return Promise.resolve(envelope(opts.metrics.query(query)));
  });

  // Spans the services gave up exporting, from their `tracelab.spans.dropped` metric.
  app.get(TRACELAB_API.droppedSpans, () => {
    if (!opts.metrics) {
      throw new CollectorError('NOT_AVAILABLE_WITH_JAEGER', `dropped spans are ${JAEGER_REASON}`);
    }
    const report = opts.metrics.droppedSpans();
    return Promise.resolve(envelope(report, report.services.length));
  });

  app.get(TRACELAB_API.lag, async () => {
    const source = opts.lag;
    if (!source) {
      if (opts.backend === 'jaeger') {
        throw new CollectorError('NOT_AVAILABLE_WITH_JAEGER', `consumer lag is ${JAEGER_REASON}`);
      }
      throw new CollectorError(
        'LAG_NOT_CONFIGURED',
        `consumer lag is not available: ${NO_BUS_REASON}`,
      );
    }
    const entries = await readLag(source.read(), lagTimeoutMs, source.system);
    const report: LagReport = { bus: source.system, timeUs: nowUs(), groups: groupLag(entries) };
    return envelope(report, report.groups.length);
  });

  // `tracelab analyze --since` asks this first: the traces are analysed where they are stored,
  // which for 100,000 traces takes seconds where building and sending their Jaeger JSON takes
  // minutes. It runs on the collector's event loop, so receiving waits meanwhile.
  app.get(TRACELAB_API.analysis, (req) => {
    const query = parseAnalysisQuery(req.query as QueryInput, nowUs());
    const analysis = opts.analysis;
    if (!analysis) {
      if (opts.backend === 'jaeger') {
        throw new CollectorError('NOT_AVAILABLE_WITH_JAEGER', `trace analysis is ${JAEGER_REASON}`);
      }
      throw new CollectorError('ANALYSIS_NOT_CONFIGURED');
    }
    const answer = analyseStored(analysis.store, analysis.analyze, query);
    return Promise.resolve(envelope(answer, answer.traces));
  });
}

async function readLag<T>(work: Promise<T>, ms: number, system: string): Promise<T> {
  try {
    return await withTimeout(
      work,
      ms,
      () =>
        new CollectorError('LAG_UNAVAILABLE', `the ${system} bus did not answer within ${ms} ms`),
    );
  } catch (err) {
    if (err instanceof CollectorError) throw err;
    throw new CollectorError(
      'LAG_UNAVAILABLE',
      `cannot read lag from ${system}: ${(err as Error).message}`,
    );
  }
}
