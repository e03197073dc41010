import type { JaegerTrace } from '../model/index.js';
import { percentChange, rankChanges } from './changes.js';
import type { ChangeInput } from './changes.js';
import { walkCriticalPath } from './critical-path.js';
import { jaegerTraceReader } from './jaeger-reader.js';
import { PathRecorder } from './path-recorder.js';
import { queueWaitsOf } from './queue-wait.js';
import { SpanTable } from './span-table.js';
import type {
  AnalysisWarning,
  QueueWait,
  Microseconds,
  QueueComparison,
  StageComparison,
  StageFigures,
  StageKey,
  TraceComparison,
} from './types.js';

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

function waitsByTopic(waits: readonly QueueWait[]): Map<string, Microseconds> {
  const byTopic = new Map<string, Microseconds>();
  for (const w of waits) byTopic.set(w.topic, (byTopic.get(w.topic) ?? 0) + w.waitUs);
  return byTopic;
}

const spanKey = (service: string, operation: string) => `${service}\u0000${operation}`;
const queueKey = (topic: string) => `queue\u0000${topic}`;

/**
 * Time on the trace's critical path per stage (spanKey) and per queue (queueKey): a span's own
 * stretches. `via` holds the stages whose spans hold a stretch of some descendant: a container
 * such as process_order is on the path through its children, not off it.
 */
function pathTimes(
  t: SpanTable,
  warnings: AnalysisWarning[],
): { own: Map<string, Microseconds>; via: Set<string> } {
  const path = new PathRecorder(t);
  walkCriticalPath(t, warnings, path);
  const own = new Map<string, Microseconds>();
  const via = new Set<string>();
  const slot = new Map<string, number>();
  for (let i = 0; i < t.n; i++) slot.set(t.spanID[i]!, i);
  for (const s of path.segments()) {
    const key =
      s.kind === 'queue' ? queueKey(s.topic ?? '') : spanKey(s.serviceName, s.operationName);
    own.set(key, (own.get(key) ?? 0) + s.endUs - s.startUs);
    const from = slot.get(s.spanID);
    for (let p = from === undefined ? -1 : t.parent[from]!; p >= 0; p = t.parent[p]!) {
      via.add(spanKey(t.service[p]!, t.operation[p]!));
    }
  }
  return { own, via };
}

/** Which service consumes each topic in either trace. */
function consumersOf(...lists: (readonly QueueWait[])[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const w of lists.flat()) if (!m.has(w.topic)) m.set(w.topic, w.toService);
  return m;
}

const figures = (s: Stage | undefined): StageFigures | null =>
  s ? { count: s.count, durationUs: s.durationUs } : null;

/**
 * Two traces side by side, by service and stage (operation name): the time each spent there in
 * both, the change in µs and %, and the stages only one of them has; queue waits per topic too.
 * `changes` puts stages and queue waits in one list, led by the largest change of time on the
 * critical path: what made B slower or faster end to end comes first.
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

  const wa = queueWaitsOf(ia, warnings);
  const wb = queueWaitsOf(ib, warnings);
  const qa = waitsByTopic(wa);
  const qb = waitsByTopic(wb);
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

  const pa = pathTimes(ia, warnings);
  const pb = pathTimes(ib, warnings);
  const consumer = consumersOf(wa, wb);
  const inputs: ChangeInput[] = [
    ...stages.map((s) => {
      const key = spanKey(s.service, s.operation);
      return {
        kind: 'span' as const,
        service: s.service,
        operation: s.operation,
        aUs: s.a?.durationUs ?? null,
        bUs: s.b?.durationUs ?? null,
        pathAUs: pa.own.get(key) ?? 0,
        pathBUs: pb.own.get(key) ?? 0,
        viaChildren: pa.via.has(key) || pb.via.has(key),
      };
    }),
    ...queues.map((q) => ({
      kind: 'queue' as const,
      service: consumer.get(q.topic) ?? '',
      operation: `queue ${q.topic}`,
      topic: q.topic,
      aUs: q.aUs,
      bUs: q.bUs,
      pathAUs: pa.own.get(queueKey(q.topic)) ?? 0,
      pathBUs: pb.own.get(queueKey(q.topic)) ?? 0,
      viaChildren: false,
    })),
  ];

  const durA = ia.endUs - ia.startUs;
  const durB = ib.endUs - ib.startUs;
  return {
    a: { traceID: a.traceID, durationUs: durA },
    b: { traceID: b.traceID, durationUs: durB },
    durationDeltaUs: durB - durA,
    durationDeltaPct: percentChange(durA, durB),
    stages,
    queues,
    changes: rankChanges(inputs),
    onlyInA: stages
      .filter((s) => s.b === null)
      .map((s) => ({ service: s.service, operation: s.operation })),
    onlyInB: stages
      .filter((s) => s.a === null)
      .map((s) => ({ service: s.service, operation: s.operation })),
    warnings,
  };
}
