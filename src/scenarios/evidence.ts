import { analyzeTraces, formatDuration } from '../analysis/index.js';
import { round } from '../errors/index.js';
import { SERVICES } from '../model/index.js';
import type { JaegerSpan, JaegerTrace, ServiceDefinition, ServiceKind } from '../model/index.js';
import { viewLinks, viewUrl } from './links.js';
import type { Link } from './links.js';
import { traceSignals } from './signals.js';
import type { TraceSignals } from './signals.js';
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
  const report = analyzeTraces([...traces]);
  const measured = measure(def, traces, report);
  const calls = callFigures(kind, traceSignals(traces));
  return {
    service: def.serviceName,
    traces: report.traces.count,
    figures: { ...measured.figures, ...calls.figures },
    lines: [...describe(def, report, measured), ...calls.lines],
    links: evidenceLinks(def.serviceName, report, queryUrl, views),
  };
}

type Report = ReturnType<typeof analyzeTraces>;

/** The figures, and the few counts the sentences need beside them. */
interface Measured {
  readonly figures: Readonly<Record<string, EvidenceFigure>>;
  readonly spans: number;
  readonly consumerSpans: number;
  readonly handledNext: number;
  readonly next: ServiceDefinition | undefined;
  readonly onPath: boolean;
  readonly memory: readonly number[];
}

/** The service's spans, their tags counted; the analysis' figures for it. */
function measure(def: ServiceDefinition, traces: readonly JaegerTrace[], report: Report): Measured {
  const name = def.serviceName;
  const spans = traces.flatMap((t) =>
    t.spans.filter((s) => t.processes[s.processID]?.serviceName === name),
  );
  const stage = report.stages.find((s) => s.service === name && s.operation === def.stageSpan);
  const onPath = report.criticalPath.byStage.filter((s) => s.service === name);
  const share = (kind: string) =>
    onPath.filter((s) => s.kind === kind).reduce((a, s) => a + s.share, 0);
  const hop = report.hops.find((h) => h.toService === name);
  const consumer = report.consumers.find((c) => c.service === name);
  const consumerSpans = def.consumes
    ? spans.filter((s) => s.operationName === `process ${def.consumes}`)
    : [];
  const faults = new Map<string, number>();
  for (const s of spans) {
    const f = tag(s, 'tracelab.fault');
    if (typeof f === 'string')
      for (const k of f.split(',')) faults.set(k, (faults.get(k) ?? 0) + 1);
  }
  const values = (key: string) =>
    spans.flatMap((s) => (num(s, key) === undefined ? [] : [num(s, key)!]));
  const maxOf = (key: string) => (values(key).length ? Math.max(...values(key)) : null);
  const memory = spans
    .filter((s) => num(s, 'resource.memory.max_mb') !== undefined)
    .sort((a, b) => a.startTime - b.startTime)
    .map((s) => num(s, 'resource.memory.max_mb')!);
  const cpu = values('resource.cpu.avg');
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
    stageCount: stage ? stage.duration.count : null,
    criticalPathWorkShare: round(share('span'), 3),
    criticalPathQueueShare: round(share('queue'), 3),
    queueTopic: hop ? hop.topic : null,
    queueWaitP50Us: hop ? hop.wait.p50Us : null,
    queueWaitMaxUs: hop ? hop.wait.maxUs : null,
    consumerVerdict: consumer ? consumer.verdict : null,
    consumerSpans: consumerSpans.length,
    consumerSpansPerOrder:
      orders > 0 && def.consumes ? round(consumerSpans.length / orders, 2) : null,
    nextStagePerOrder: next && orders > 0 ? round(handledNext / orders, 2) : null,
    redeliveries: consumerSpans.filter((s) => (num(s, 'tracelab.delivery_count') ?? 1) > 1).length,
    deadLetters: spans.filter((s) => tag(s, 'tracelab.dead_letter') === true).length,
    errorSpans: spans.filter(isError).length,
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
  return {
    figures,
    spans: spans.length,
    consumerSpans: consumerSpans.length,
    handledNext,
    next,
    onPath: onPath.length > 0,
    memory,
  };
}

/** The figures in words, one line each, only those that say something. */
function describe(def: ServiceDefinition, report: Report, m: Measured): string[] {
  const f = m.figures;
  const n = (key: string) => f[key] as number;
  const orders = report.propagation.orderTraces;
  const lines = [`${report.traces.count} traces read, ${m.spans} spans of ${def.serviceName}`];
  if (f.stageP50Us !== null) {
    lines.push(
      `${def.stageSpan}: p50 ${formatDuration(n('stageP50Us'))}, max ${formatDuration(n('stageMaxUs'))} over ${n('stageCount')} spans`,
    );
  }
  if (m.onPath) {
    lines.push(
      `on the critical paths: ${pct(n('criticalPathWorkShare'))} its own work, ${pct(n('criticalPathQueueShare'))} waiting in its queue`,
    );
  }
  if (f.queueTopic !== null) {
    lines.push(
      `queue wait in \`${String(f.queueTopic)}\`: p50 ${formatDuration(n('queueWaitP50Us'))}, max ${formatDuration(n('queueWaitMaxUs'))}${f.consumerVerdict !== null ? ` (consumer ${String(f.consumerVerdict)})` : ''}`,
    );
  }
  if (f.consumerSpansPerOrder !== null && n('consumerSpansPerOrder') > 1) {
    lines.push(
      `${m.consumerSpans} consumer spans for ${orders} orders (${n('consumerSpansPerOrder')} per order)`,
    );
  }
  if (m.next && orders > 0 && m.handledNext > orders) {
    lines.push(
      `${m.handledNext} messages handled by ${m.next.serviceName} for ${orders} orders (${n('nextStagePerOrder')} per order)`,
    );
  }
  if (n('redeliveries') > 0)
    lines.push(
      `${plural(n('redeliveries'), 'redelivery', 'redeliveries')} (tracelab.delivery_count ≥ 2)`,
    );
  if (n('deadLetters') > 0)
    lines.push(
      `${plural(n('deadLetters'), 'delivery', 'deliveries')} dead-lettered (tracelab.dead_letter=true)`,
    );
  if (n('errorSpans') > 0) lines.push(`${plural(n('errorSpans'), 'span', 'spans')} in error`);
  if (f.faults) lines.push(`injected faults on its spans: ${String(f.faults)}`);
  if (f.latencyFaultMs !== null) lines.push(`added latency: ${n('latencyFaultMs')} ms per order`);
  if (f.leakedMbMax !== null) lines.push(`memory kept so far: ${n('leakedMbMax')} MB`);
  if (f.duplicates !== null) lines.push(`extra copies published per order: ${n('duplicates')}`);
  if (m.memory.length > 1) {
    lines.push(
      `memory (resource.memory.max_mb): ${m.memory[0]} MB on the first workload span, ${m.memory[m.memory.length - 1]} MB on the last`,
    );
  }
  if (f.cpuAvgPct !== null)
    lines.push(`CPU on its workload spans: ${n('cpuAvgPct')} % of one core on average`);
  if (n('splitOrders') > 0) {
    lines.push(`${plural(n('splitOrders'), 'order', 'orders')} split over more than one trace`);
  }
  return lines;
}

const ms = (us: number | null) => (us === null ? null : round(us / 1000, 1));

/**
 * Its calls to other services (attempts per order, resends, attempts cut off, the breaker's
 * refusals), the calls that reached it from others, and replicas that joined late.
 */
function callFigures(
  kind: ServiceKind,
  signals: TraceSignals,
): { figures: Record<string, EvidenceFigure>; lines: string[] } {
  const own = signals.services[kind];
  const c = own?.calls;
  const callers = Object.entries(signals.services).filter(([, s]) => s.calls.callee === kind);
  const inbound = callers.reduce((n, [, s]) => n + s.calls.attempts, 0);
  const inboundErrors = callers.reduce((n, [, s]) => n + s.calls.serverErrors, 0);
  const refused = callers.reduce((n, [, s]) => n + s.calls.breakerOpen, 0);
  const orders = signals.orders;
  const figures: Record<string, EvidenceFigure> = {
    callAttempts: c?.attempts ?? 0,
    callAttemptsPerOrder: c && orders > 0 ? round(c.attempts / orders, 2) : null,
    callResends: c?.resends ?? 0,
    callsCutOff: c?.unanswered ?? 0,
    callCutOffMeanMs: ms(c?.unansweredMeanUs ?? null),
    callAnswerP50Ms: ms(c?.answeredP50Us ?? null),
    breakerOpenSpans: c?.breakerOpen ?? 0,
    callsReceived: inbound,
    callsReceivedFailed: inboundErrors,
    callsRefusedByCallers: refused,
    replicas: own?.joins.replicas ?? null,
    replicasJoinedLate: own?.joins.late ?? 0,
    firstLateReplicaAfterMs: ms(own?.joins.afterUs ?? null),
  };
  const lines: string[] = [];
  if (c && c.attempts > 0) {
    lines.push(
      `${plural(c.attempts, 'call attempt', 'call attempts')} to ${c.callee ?? 'other services'}${orders > 0 ? ` (${round(c.attempts / orders, 2)} per order)` : ''}, ${plural(c.resends, 'resend', 'resends')} (http.request.resend_count ≥ 1)`,
    );
  }
  if (c && c.unanswered > 0) {
    lines.push(
      `${plural(c.unanswered, 'attempt', 'attempts')} cut off unanswered after ${ms(c.unansweredMeanUs)} ms on average; an answered one took ${ms(c.answeredP50Us) ?? '-'} ms (p50)`,
    );
  }
  if (c && c.breakerOpen > 0) {
    lines.push(
      `${plural(c.breakerOpen, 'span', 'spans')} with tracelab.circuit_breaker.state=open: calls refused at once`,
    );
  }
  if (inbound > 0) {
    const by = callers.map(([k]) => k).join(', ');
    lines.push(
      `${plural(inbound, 'call attempt', 'call attempts')} from ${by}, ${inboundErrors} answered with a server error${refused > 0 ? `; ${plural(refused, 'call', 'calls')} refused by the caller's open circuit breaker` : ''}`,
    );
  }
  if (own && own.joins.late > 0) {
    lines.push(
      `${own.joins.replicas} replicas handled its messages; the first one added took its first ${ms(own.joins.afterUs)} ms after the first message, which had waited ${ms(own.joins.firstWaitUs)} ms in the queue`,
    );
  }
  return { figures, lines };
}

/** The scenario's own views, the service's traces, the system view, the slowest order. */
function evidenceLinks(
  name: string,
  report: Report,
  queryUrl: string,
  views: readonly ScenarioView[],
): Link[] {
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
  return links.filter((l, i) => links.findIndex((m) => m.url === l.url) === i);
}
