import { analyzeTraces, formatDuration } from '../analysis/index.js';
import { round } from '../errors/index.js';
import { SERVICES } from '../model/index.js';
import type { JaegerSpan, JaegerTrace, ServiceKind } from '../model/index.js';
import { viewLinks, viewUrl } from './links.js';
import type { Link } from './links.js';
import type { ScenarioView } from './types.js';

export type EvidenceFigure = number | string | null;

/** What the traces show about one service: measured figures, in words, and where to look. */
export interface Evidence {
  readonly service: string;
  readonly traces: number;
  readonly figures: Readonly<Record<string, EvidenceFigure>>;
  readonly lines: readonly string[];
  readonly links: readonly Link[];
}

const tag = (s: JaegerSpan, key: string) => s.tags.find((t) => t.key === key)?.value;
const num = (s: JaegerSpan, key: string): number | undefined => {
  const v = tag(s, key);
  return typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : undefined;
};
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const pct = (share: number) => `${round(share * 100, 1)} %`;
const isError = (s: JaegerSpan) =>
  tag(s, 'error') === true || tag(s, 'otel.status_code') === 'ERROR';

/**
 * The evidence for `service` in these traces, read through the analysis (its stage, queue and
 * critical path) and from the spans' own tags (errors, deliveries, faults, memory).
 */
export function evidenceFor(
  kind: ServiceKind,
  traces: readonly JaegerTrace[],
  queryUrl: string,
  views: readonly ScenarioView[] = [],
): Evidence {
  const def = SERVICES[kind];
  const name = def.serviceName;
  const report = analyzeTraces([...traces]);
  const spans = traces.flatMap((t) =>
    t.spans.filter((s) => t.processes[s.processID]?.serviceName === name),
  );
  const stage = report.stages.find((s) => s.service === name && s.operation === def.stageSpan);
  const onPath = report.criticalPath.byStage.filter((s) => s.service === name);
  const workShare = onPath.filter((s) => s.kind === 'span').reduce((a, s) => a + s.share, 0);
  const queueShare = onPath.filter((s) => s.kind === 'queue').reduce((a, s) => a + s.share, 0);
  const hop = report.hops.find((h) => h.toService === name);
  const consumer = report.consumers.find((c) => c.service === name);
  const consumerSpans = def.consumes
    ? spans.filter((s) => s.operationName === `process ${def.consumes}`)
    : [];
  const redeliveries = consumerSpans.filter((s) => (num(s, 'tracelab.delivery_count') ?? 1) > 1);
  const deadLetters = spans.filter((s) => tag(s, 'tracelab.dead_letter') === true);
  const errors = spans.filter(isError);
  const faults = new Map<string, number>();
  for (const s of spans) {
    const f = tag(s, 'tracelab.fault');
    if (typeof f === 'string')
      for (const k of f.split(',')) faults.set(k, (faults.get(k) ?? 0) + 1);
  }
  const maxOf = (key: string) => {
    const xs = spans.flatMap((s) => (num(s, key) === undefined ? [] : [num(s, key)!]));
    return xs.length ? Math.max(...xs) : null;
  };
  const memory = spans
    .filter((s) => num(s, 'resource.memory.max_mb') !== undefined)
    .sort((a, b) => a.startTime - b.startTime)
    .map((s) => num(s, 'resource.memory.max_mb')!);
  const cpu = spans.flatMap((s) =>
    num(s, 'resource.cpu.avg') === undefined ? [] : [num(s, 'resource.cpu.avg')!],
  );
  const orders = report.propagation.orderTraces;
  // What the next stage received per order: a publisher's copies show downstream.
  const next = Object.values(SERVICES).find((d) => d.consumes && def.publishes === d.consumes);
  const handledNext = next
    ? traces.flatMap((t) => t.spans).filter((s) => s.operationName === `process ${next.consumes}`)
        .length
    : 0;
  const figures: Record<string, EvidenceFigure> = {
    traces: report.traces.count,
    stageP50Us: stage ? stage.duration.p50Us : null,
    stageMaxUs: stage ? stage.duration.maxUs : null,
    criticalPathWorkShare: round(workShare, 3),
    criticalPathQueueShare: round(queueShare, 3),
    queueWaitP50Us: hop ? hop.wait.p50Us : null,
    queueWaitMaxUs: hop ? hop.wait.maxUs : null,
    consumerVerdict: consumer ? consumer.verdict : null,
    consumerSpans: consumerSpans.length,
    consumerSpansPerOrder:
      orders > 0 && def.consumes ? round(consumerSpans.length / orders, 2) : null,
    nextStagePerOrder: next && orders > 0 ? round(handledNext / orders, 2) : null,
    redeliveries: redeliveries.length,
    deadLetters: deadLetters.length,
    errorSpans: errors.length,
    faults: [...faults].map(([k, n]) => `${k}×${n}`).join(', ') || null,
    latencyFaultMs: maxOf('tracelab.fault.latency_ms'),
    leakedMbMax: maxOf('tracelab.fault.leaked_mb'),
    duplicates: maxOf('tracelab.fault.duplicates'),
    memoryFirstMb: memory.length ? memory[0]! : null,
    memoryLastMb: memory.length ? memory[memory.length - 1]! : null,
    cpuAvgPct: cpu.length ? round(cpu.reduce((a, b) => a + b, 0) / cpu.length, 1) : null,
    splitOrders: report.propagation.splitOrders.length,
    tracesMissingServices: report.propagation.missingServices.length,
  };
  const lines: string[] = [];
  lines.push(`${report.traces.count} traces read, ${spans.length} spans of ${name}`);
  if (stage) {
    lines.push(
      `${def.stageSpan}: p50 ${formatDuration(stage.duration.p50Us)}, max ${formatDuration(stage.duration.maxUs)} over ${stage.duration.count} spans`,
    );
  }
  if (onPath.length > 0) {
    lines.push(
      `on the critical paths: ${pct(workShare)} its own work, ${pct(queueShare)} waiting in its queue`,
    );
  }
  if (hop) {
    lines.push(
      `queue wait in \`${hop.topic}\`: p50 ${formatDuration(hop.wait.p50Us)}, max ${formatDuration(hop.wait.maxUs)}${consumer ? ` (consumer ${consumer.verdict})` : ''}`,
    );
  }
  if (figures.consumerSpansPerOrder !== null && (figures.consumerSpansPerOrder as number) > 1) {
    lines.push(
      `${consumerSpans.length} consumer spans for ${orders} orders (${figures.consumerSpansPerOrder} per order)`,
    );
  }
  if (next && orders > 0 && handledNext > orders) {
    lines.push(
      `${handledNext} messages handled by ${next.serviceName} for ${orders} orders (${figures.nextStagePerOrder} per order)`,
    );
  }
  if (redeliveries.length > 0)
    lines.push(
      `${plural(redeliveries.length, 'redelivery', 'redeliveries')} (tracelab.delivery_count ≥ 2)`,
    );
  if (deadLetters.length > 0)
    lines.push(
      `${plural(deadLetters.length, 'delivery', 'deliveries')} dead-lettered (tracelab.dead_letter=true)`,
    );
  if (errors.length > 0) lines.push(`${plural(errors.length, 'span', 'spans')} in error`);
  if (figures.faults) lines.push(`injected faults on its spans: ${figures.faults}`);
  if (figures.latencyFaultMs !== null)
    lines.push(`added latency: ${figures.latencyFaultMs} ms per order`);
  if (figures.leakedMbMax !== null) lines.push(`memory kept so far: ${figures.leakedMbMax} MB`);
  if (figures.duplicates !== null)
    lines.push(`extra copies published per order: ${figures.duplicates}`);
  if (memory.length > 1) {
    lines.push(
      `memory (resource.memory.max_mb): ${memory[0]} MB on the first workload span, ${memory[memory.length - 1]} MB on the last`,
    );
  }
  if (figures.cpuAvgPct !== null)
    lines.push(`CPU on its workload spans: ${figures.cpuAvgPct} % of one core on average`);
  if (report.propagation.splitOrders.length > 0) {
    lines.push(
      `${plural(report.propagation.splitOrders.length, 'order', 'orders')} split over more than one trace`,
    );
  }
  const slowest = [...report.criticalPath.traces].sort((a, b) => b.durationUs - a.durationUs)[0];
  const links: Link[] = [
    ...viewLinks(queryUrl, views),
    {
      label: `${name}'s traces`,
      url: viewUrl(queryUrl, {
        page: 'search',
        query: { service: name, lookback: '15m' },
        look: '',
      }),
    },
    { label: 'the system view', url: viewUrl(queryUrl, { page: 'system', look: '' }) },
    ...(slowest
      ? [
          {
            label: `the slowest order (${formatDuration(slowest.durationUs)})`,
            url: `${queryUrl.replace(/\/+$/, '')}/trace/${slowest.traceID}`,
          },
        ]
      : []),
  ];
  const unique = links.filter((l, i) => links.findIndex((m) => m.url === l.url) === i);
  return { service: name, traces: report.traces.count, figures, lines, links: unique };
}
