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
    services[kind] = {
      consumerSpans: consumer.length,
      firstDeliveries: consumer.filter((s) => (num(s, 'tracelab.delivery_count') ?? 1) <= 1).length,
      redeliveries: consumer.filter((s) => (num(s, 'tracelab.delivery_count') ?? 1) > 1).length,
      deadLetters: spans.filter((s) => tag(s, 'tracelab.dead_letter') === true).length,
      errorSpans: spans.filter(isError).length,
      memoryGrowthMb: growths.length ? Math.max(...growths) : null,
      memorySwingMb: swings.length ? swings.reduce((a, b) => a + b, 0) / swings.length : null,
      memorySpans,
    };
  }
  return { orders: orderIds.size, services };
}
