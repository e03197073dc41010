import type { JaegerTrace } from '../model/jaeger-trace.js';
import { jaegerTraceReader } from './jaeger-reader.js';
import { queueWaitsOf } from './queue-wait.js';
import { SpanTable } from './span-table.js';
import type {
  AnalysisWarning,
  Microseconds,
  QueueComparison,
  StageComparison,
  StageFigures,
  StageKey,
  TraceComparison,
} from './types.js';

/** (b − a) / a in %, rounded to 0.1; null when there is no base to compare with. */
export function percentChange(a: number, b: number): number | null {
  if (a === 0) return null;
  return Math.round(((b - a) / a) * 1000) / 10;
}

interface Stage {
  readonly key: StageKey;
  readonly firstStartUs: Microseconds;
  count: number;
  durationUs: Microseconds;
}

function stagesOf(t: SpanTable): Map<string, Stage> {
  const stages = new Map<string, Stage>();
  for (let k = 0; k < t.n; k++) {
    const i = t.order[k]!;
    const service = t.service[i]!;
    const operation = t.operation[i]!;
    const id = `${service}\u0000${operation}`;
    let st = stages.get(id);
    if (!st) {
      st = { key: { service, operation }, firstStartUs: t.start[i]!, count: 0, durationUs: 0 };
      stages.set(id, st);
    }
    st.count++;
    st.durationUs += t.end[i]! - t.start[i]!;
  }
  return stages;
}

function waitsByTopic(t: SpanTable, warnings: AnalysisWarning[]): Map<string, Microseconds> {
  const byTopic = new Map<string, Microseconds>();
  for (const w of queueWaitsOf(t, warnings)) {
    byTopic.set(w.topic, (byTopic.get(w.topic) ?? 0) + w.waitUs);
  }
  return byTopic;
}

const figures = (s: Stage | undefined): StageFigures | null =>
  s ? { count: s.count, durationUs: s.durationUs } : null;

/**
 * Two traces side by side, by service and stage (operation name): the time each spent there in
 * both, the change in µs and %, and the stages only one of them has; queue waits per topic too.
 */
export function compareTraces(a: JaegerTrace, b: JaegerTrace): TraceComparison {
  const ia = new SpanTable().load(jaegerTraceReader, a);
  const ib = new SpanTable().load(jaegerTraceReader, b);
  const warnings: AnalysisWarning[] = [...ia.warnings, ...ib.warnings];
  const sa = stagesOf(ia);
  const sb = stagesOf(ib);

  const ids = [...new Set([...sa.keys(), ...sb.keys()])];
  const first = (id: string) => (sa.get(id) ?? sb.get(id))!;
  const startOf = (id: string) => {
    const x = sa.get(id);
    return x ? x.firstStartUs - ia.startUs : first(id).firstStartUs - ib.startUs;
  };
  ids.sort(
    (x, y) => first(x).key.service.localeCompare(first(y).key.service) || startOf(x) - startOf(y),
  );
  const stages: StageComparison[] = ids.map((id) => {
    const x = sa.get(id);
    const y = sb.get(id);
    const both = x && y;
    return {
      ...first(id).key,
      a: figures(x),
      b: figures(y),
      deltaUs: both ? y.durationUs - x.durationUs : null,
      deltaPct: both ? percentChange(x.durationUs, y.durationUs) : null,
    };
  });

  const qa = waitsByTopic(ia, warnings);
  const qb = waitsByTopic(ib, warnings);
  const queues: QueueComparison[] = [...new Set([...qa.keys(), ...qb.keys()])].map((topic) => {
    const x = qa.get(topic);
    const y = qb.get(topic);
    const both = x !== undefined && y !== undefined;
    return {
      topic,
      aUs: x ?? null,
      bUs: y ?? null,
      deltaUs: both ? y - x : null,
      deltaPct: both ? percentChange(x, y) : null,
    };
  });

  const durA = ia.endUs - ia.startUs;
  const durB = ib.endUs - ib.startUs;
  return {
    a: { traceID: a.traceID, durationUs: durA },
    b: { traceID: b.traceID, durationUs: durB },
    durationDeltaUs: durB - durA,
    durationDeltaPct: percentChange(durA, durB),
    stages,
    queues,
    onlyInA: stages
      .filter((s) => s.b === null)
      .map((s) => ({ service: s.service, operation: s.operation })),
    onlyInB: stages
      .filter((s) => s.a === null)
      .map((s) => ({ service: s.service, operation: s.operation })),
    warnings,
  };
}
