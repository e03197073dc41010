import { SERVICES } from '../model/index.js';
import type { JaegerSpan, JaegerTrace, ServiceKind } from '../model/index.js';

/** What one service's spans say beyond timing: failures, deliveries, memory. */
export interface ServiceSignals {
  /** Its consumer spans (`process <topic>`). */
  readonly consumerSpans: number;
  /** Consumer spans that were a first delivery (tracelab.delivery_count 1 or absent). */
  readonly firstDeliveries: number;
  readonly redeliveries: number;
  readonly deadLetters: number;
  readonly errorSpans: number;
  /**
   * resource.memory.max_mb on a process's last workload span minus its lowest before, the most
   * of its processes (replicas); null without two spans in one.
   */
  readonly memoryGrowthMb: number | null;
  /** Memory moved within one workload span (max − min), on average; null without any. */
  readonly memorySwingMb: number | null;
  /** Workload spans with memory figures, in its process with the most. */
  readonly memorySpans: number;
  /** Its calls to another service and how they went (see CallSignals). */
  readonly calls: CallSignals;
  /** Replicas that joined while others were already at work (see ReplicaJoins). */
  readonly joins: ReplicaJoins;
}

/**
 * The service's outgoing HTTP calls (CLIENT spans with `http.request.method`): each attempt
 * is a span, resends carry `http.request.resend_count`, an attempt cut off by its time limit
 * has no `http.response.status_code`, and a call the circuit breaker refused has no span but
 * leaves `tracelab.circuit_breaker.state=open` on the span that made it.
 */
export interface CallSignals {
  readonly attempts: number;
  /** Attempts with http.request.resend_count ≥ 1. */
  readonly resends: number;
  /** Attempts that got no answer (cut off: timed out). */
  readonly unanswered: number;
  /** Attempts answered with a status of 500 or more. */
  readonly serverErrors: number;
  /** Mean duration of the unanswered attempts, µs; null without any. */
  readonly unansweredMeanUs: number | null;
  /** Median duration of the answered attempts, µs; null without any. */
  readonly answeredP50Us: number | null;
  /** Spans of this service with tracelab.circuit_breaker.state=open: calls refused at once. */
  readonly breakerOpen: number;
  /** Time its consumer spans took in all, µs: what the unanswered attempts are a share of. */
  readonly consumerUs: number;
  /** The service its attempts reached most (their SERVER spans' service); null when none did. */
  readonly callee: ServiceKind | null;
}

/**
 * Replicas (service.instance.id) of a consumer that came while the others were at work and its
 * first message had already waited: replicas added during the run, after the backlog built.
 */
export interface ReplicaJoins {
  /** Distinct replicas seen handling messages. */
  readonly replicas: number;
  /** Those that joined late (see replicaJoins). */
  readonly late: number;
  /** Messages the others had finished when the first late replica took its first; 0 without one. */
  readonly finishedBefore: number;
  /** From the service's first message to the first late replica's, µs; null without one. */
  readonly afterUs: number | null;
  /** How long the first late replica's first message had waited in the queue, µs; null without one. */
  readonly firstWaitUs: number | null;
}

/** Per service, with the number of orders in the traces (distinct order ids). */
export interface TraceSignals {
  readonly orders: number;
  readonly services: Readonly<Partial<Record<ServiceKind, ServiceSignals>>>;
}

const tag = (s: JaegerSpan, key: string) => s.tags.find((t) => t.key === key)?.value;
const num = (s: JaegerSpan, key: string): number | undefined => {
  const v = tag(s, key);
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};
const isError = (s: JaegerSpan) =>
  tag(s, 'error') === true || tag(s, 'otel.status_code') === 'ERROR';

/**
 * Reads the spans' own tags per service: what the timing analysis does not count (errors,
 * dead letters, redeliveries, copies of a message, memory that only climbs).
 */
export function traceSignals(traces: readonly JaegerTrace[]): TraceSignals {
  const orderIds = new Set<string>();
  const byService = new Map<ServiceKind, JaegerSpan[]>();
  const instanceOf = new Map<JaegerSpan, string>();
  const kindOf = new Map(
    (Object.keys(SERVICES) as ServiceKind[]).map((k) => [SERVICES[k].serviceName, k]),
  );
  // Which service answered each call: a SERVER span's parent is the CLIENT span that sent it.
  const callees = new Map<string, string>();
  for (const t of traces) {
    for (const s of t.spans) {
      const parent = s.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
      if (parent && tag(s, 'span.kind') === 'server') {
        callees.set(parent, t.processes[s.processID]?.serviceName ?? '');
      }
    }
  }
  for (const t of traces) {
    for (const s of t.spans) {
      const id = tag(s, 'order.id');
      if (typeof id === 'string' && id !== '') orderIds.add(id);
      const process = t.processes[s.processID];
      const instance = process?.tags.find((x) => x.key === 'service.instance.id')?.value;
      if (typeof instance === 'string') instanceOf.set(s, instance);
      const kind = kindOf.get(process?.serviceName ?? '');
      if (!kind) continue;
      const list = byService.get(kind) ?? [];
      list.push(s);
      byService.set(kind, list);
    }
  }
  const services: Partial<Record<ServiceKind, ServiceSignals>> = {};
  for (const [kind, spans] of byService) {
    const def = SERVICES[kind];
    const consumer = def.consumes
      ? spans.filter((s) => s.operationName === `process ${def.consumes}`)
      : [];
    // Each replica is a process of its own: memory is followed per process, never across them.
    const series = new Map<string, number[]>();
    for (const sp of [...spans].sort((a, b) => a.startTime - b.startTime)) {
      const mb = num(sp, 'resource.memory.max_mb');
      if (mb === undefined) continue;
      const key = instanceOf.get(sp) ?? '';
      series.set(key, [...(series.get(key) ?? []), mb]);
    }
    const growths = [...series.values()].flatMap((m) =>
      m.length >= 2 ? [m[m.length - 1]! - Math.min(...m.slice(0, -1))] : [],
    );
    const memorySpans = [...series.values()].reduce((n, m) => Math.max(n, m.length), 0);
    const swings = spans.flatMap((s) => {
      const max = num(s, 'resource.memory.max_mb');
      const min = num(s, 'resource.memory.min_mb');
      return max === undefined || min === undefined ? [] : [max - min];
    });
    const calls = callSignals(spans, consumer, callees, kindOf);
    const joins = replicaJoins(consumer, instanceOf);
    services[kind] = {
      consumerSpans: consumer.length,
      firstDeliveries: consumer.filter((s) => (num(s, 'tracelab.delivery_count') ?? 1) <= 1).length,
      redeliveries: consumer.filter((s) => (num(s, 'tracelab.delivery_count') ?? 1) > 1).length,
      deadLetters: spans.filter((s) => tag(s, 'tracelab.dead_letter') === true).length,
      errorSpans: spans.filter(isError).length,
      memoryGrowthMb: growths.length ? Math.max(...growths) : null,
      memorySwingMb: swings.length ? swings.reduce((a, b) => a + b, 0) / swings.length : null,
      memorySpans,
      calls,
      joins,
    };
  }
  return { orders: orderIds.size, services };
}

const median = (values: readonly number[]): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
};

function callSignals(
  spans: readonly JaegerSpan[],
  consumer: readonly JaegerSpan[],
  callees: ReadonlyMap<string, string>,
  kindOf: ReadonlyMap<string, ServiceKind>,
): CallSignals {
  const attempts = spans.filter(
    (s) => tag(s, 'span.kind') === 'client' && tag(s, 'http.request.method') !== undefined,
  );
  const status = (s: JaegerSpan) => num(s, 'http.response.status_code');
  const unanswered = attempts.filter((s) => status(s) === undefined);
  const answered = attempts.filter((s) => status(s) !== undefined);
  const reached = new Map<ServiceKind, number>();
  for (const a of attempts) {
    const k = kindOf.get(callees.get(a.spanID) ?? '');
    if (k) reached.set(k, (reached.get(k) ?? 0) + 1);
  }
  const callee = [...reached].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  return {
    attempts: attempts.length,
    resends: attempts.filter((s) => (num(s, 'http.request.resend_count') ?? 0) >= 1).length,
    unanswered: unanswered.length,
    serverErrors: answered.filter((s) => status(s)! >= 500).length,
    unansweredMeanUs: unanswered.length
      ? unanswered.reduce((a, s) => a + s.duration, 0) / unanswered.length
      : null,
    answeredP50Us: median(answered.map((s) => s.duration)),
    breakerOpen: spans.filter((s) => tag(s, 'tracelab.circuit_breaker.state') === 'open').length,
    consumerUs: consumer.reduce((a, s) => a + s.duration, 0),
    callee,
  };
}

/**
 * A replica joined late when its first message had waited in the queue at least one median
 * handling of the service, while other replicas had finished some and went on working: it came
 * after the backlog had built. Replicas there from the start take their first messages at
 * once; one restarted after a crash keeps its instance id.
 */
function replicaJoins(
  consumer: readonly JaegerSpan[],
  instanceOf: ReadonlyMap<JaegerSpan, string>,
): ReplicaJoins {
  const firstOf = new Map<string, JaegerSpan>();
  for (const s of consumer) {
    const id = instanceOf.get(s) ?? '';
    const seen = firstOf.get(id);
    if (!seen || s.startTime < seen.startTime) firstOf.set(id, s);
  }
  const start = Math.min(...[...firstOf.values()].map((s) => s.startTime));
  const handling = median(consumer.map((s) => s.duration)) ?? 0;
  const late = [...firstOf]
    .map(([id, first]) => {
      const others = consumer.filter((s) => (instanceOf.get(s) ?? '') !== id);
      const at = first.startTime;
      const finishedBefore = others.filter((s) => s.startTime + s.duration <= at).length;
      // Still at work after it came: a replica beside them, not one that took over.
      const alongside = others.some((s) => s.startTime + s.duration > at);
      const waitUs = num(first, 'tracelab.queue.wait_us') ?? 0;
      return { at, finishedBefore, alongside, waitUs };
    })
    .filter((j) => j.finishedBefore >= 1 && j.alongside && j.waitUs >= Math.max(handling, 1))
    .sort((a, b) => a.at - b.at);
  return {
    replicas: firstOf.size,
    late: late.length,
    finishedBefore: late[0]?.finishedBefore ?? 0,
    afterUs: late[0] ? late[0].at - start : null,
    firstWaitUs: late[0]?.waitUs ?? null,
  };
}
