import { round } from '../errors/index.js';
import type { JaegerTrace } from '../model/jaeger-trace.js';
import type { TraceReader } from '../model/trace-reader.js';
import { Column } from './column.js';
import { IdTable } from './id-table.js';
import type { Progress } from './column.js';
import { walkCriticalPath } from './critical-path.js';
import { findingsOf } from './findings.js';
import { formatDuration as fmt } from './format.js';
import { jaegerTraceReader } from './jaeger-reader.js';
import { PathRecorder } from './path-recorder.js';
import { Hops } from './queue-wait.js';
import { busOrder, readBusPlace } from './bus-order.js';
import type { BusPlace, MessageOrder, Messages } from './bus-order.js';
import { MIN_GROWTH_US, busyPeriodsOf } from './busy-periods.js';
import type { BusyPeriods } from './busy-periods.js';
import { bottleneckOf } from './verdict.js';
import type {
  AnalysisReport,
  AnalyzeOptions,
  ArrivalPoint,
  ConsumerStats,
  HopStats,
  PathStageKey,
  PathStageStats,
  PropagationReport,
  ResourceStats,
  StageStats,
  TraceCriticalPath,
} from './report-types.js';
import { SpanTable } from './span-table.js';
import { groupedFit, summarise } from './stats.js';
import type { Distribution } from './stats.js';
import type { AnalysisWarning, CriticalPathSegment, Microseconds } from './types.js';

const INTENSITY_ORDER = ['light', 'medium', 'heavy', 'severe'];
const WARNING_SAMPLES = 50;
/** Segments of a trace whose path the report does not keep: one list shared by all. */
const NO_SEGMENTS: readonly CriticalPathSegment[] = Object.freeze([]);

type PathStageStatsAcc = PathStageKey & { dominatesTraces: number; totalUs: number };

interface StageKey {
  readonly service: string;
  readonly operation: string;
  readonly id: number;
}

/** The order traces, as columns: trace id, order id, the services it reached. */
interface OrderTraces {
  readonly traceIDs: string[];
  readonly orderIds: string[];
  /** Lists shared between consecutive traces that reach the same services (most do). */
  readonly services: Array<readonly string[]>;
}

/** One hop's messages as columns, in the order their traces were read. */
interface HopAcc {
  readonly topic: string;
  readonly fromService: string;
  readonly toService: string;
  readonly publishedUs: Column;
  readonly waitUs: Column;
  /** Which trace (its number in the set) each message is in. */
  readonly traceNo: Column;
  readonly serviceTimes: Column;
  /** The consumer span's start and end. */
  readonly startUs: Column;
  readonly endUs: Column;
  /** Where the message sits in its bus (see BusPlace); NaN where the spans do not say. */
  readonly partition: string[];
  readonly placeHi: Column;
  readonly placeLo: Column;
  readonly instances: Set<string>;
}

/** A hop's (or a queue's) columns as the bus order and busy periods read them. */
function messagesOf(accs: readonly HopAcc[]): Messages & { readonly traceNo: number[] } {
  const one = accs.length === 1 ? accs[0]! : undefined;
  const join = (f: (a: HopAcc) => Column) =>
    one ? f(one).values() : accs.flatMap((a) => f(a).values());
  return {
    count: accs.reduce((n, a) => n + a.publishedUs.length, 0),
    publishedUs: join((a) => a.publishedUs),
    startUs: join((a) => a.startUs),
    endUs: join((a) => a.endUs),
    waitUs: join((a) => a.waitUs),
    partition: one ? one.partition : accs.flatMap((a) => a.partition),
    placeHi: join((a) => a.placeHi),
    placeLo: join((a) => a.placeLo),
    traceNo: join((a) => a.traceNo),
  };
}

class ResourceAcc {
  count = 0;
  readonly durations: Column;
  private cpuSum = 0;
  private cpuN = 0;
  private cpuMax: number | null = null;
  private memSum = 0;
  private memN = 0;
  private memMax: number | null = null;
  private boundN = 0;
  private boundTrue = 0;

  constructor(progress: Progress) {
    this.durations = new Column(progress);
  }

  /** Adds the workload span in slot i of t. */
  add(t: SpanTable, i: number, durationUs: Microseconds) {
    this.count++;
    this.durations.push(durationUs);
    const cpuAvg = t.cpuAvg[i]!;
    if (cpuAvg === cpuAvg) {
      this.cpuSum += cpuAvg;
      this.cpuN++;
    }
    const cpuMax = t.cpuMax[i]!;
    if (cpuMax === cpuMax && (this.cpuMax === null || cpuMax > this.cpuMax)) {
      this.cpuMax = cpuMax;
    }
    const memAvg = t.memoryAvgMb[i]!;
    if (memAvg === memAvg) {
      this.memSum += memAvg;
      this.memN++;
    }
    const memMax = t.memoryMaxMb[i]!;
    if (memMax === memMax && (this.memMax === null || memMax > this.memMax)) {
      this.memMax = memMax;
    }
    const bound = t.cpuBound[i]!;
    if (bound >= 0) {
      this.boundN++;
      if (bound === 1) this.boundTrue++;
    }
  }

  stats(key: string): ResourceStats {
    return {
      key,
      count: this.count,
      duration: summarise(this.durations.values()),
      cpuSpans: this.cpuN,
      cpuAvg: this.cpuN ? round(this.cpuSum / this.cpuN, 1) : null,
      cpuMax: this.cpuMax,
      memoryAvgMb: this.memN ? round(this.memSum / this.memN, 1) : null,
      memoryMaxMb: this.memMax,
      cpuBoundShare: this.boundN ? round(this.boundTrue / this.boundN, 3) : null,
    };
  }
}

/**
 * A map keyed by two strings without building a joined key per lookup: over millions of spans
 * the string concatenation (and hashing each new string) was the largest cost of the analysis.
 */
class Keyed2<V> {
  private readonly outer = new Map<string, Map<string, V>>();
  /** The inner map of `a`, to look up many b's of one a. */
  inner(a: string): Map<string, V> {
    let inner = this.outer.get(a);
    if (!inner) this.outer.set(a, (inner = new Map<string, V>()));
    return inner;
  }
  find(a: string, b: string): V | undefined {
    return this.outer.get(a)?.get(b);
  }
  add(a: string, b: string, v: V): V {
    this.inner(a).set(b, v);
    return v;
  }
  *values(): IterableIterator<V> {
    for (const inner of this.outer.values()) yield* inner.values();
  }
  get size(): number {
    let n = 0;
    for (const inner of this.outer.values()) n += inner.size;
    return n;
  }
}

/**
 * Numbers each (service, operation) met, so that what is looked up per span and per stretch of
 * a critical path is an array index, not two map lookups or a string comparison.
 */
class StageIds {
  private readonly byService = new Map<string, Map<string, number>>();
  count = 0;
  /** The stage of each slot of the trace being read. */
  ofSlot = new Int32Array(64);

  /** The operations of one service and their ids, to look up many of its spans. */
  ofService(service: string): Map<string, number> {
    let ops = this.byService.get(service);
    if (ops === undefined) this.byService.set(service, (ops = new Map<string, number>()));
    return ops;
  }

  id(ops: Map<string, number>, operation: string): number {
    let id = ops.get(operation);
    if (id === undefined) ops.set(operation, (id = this.count++));
    return id;
  }
}

/**
 * Each order's traces, orders in the order first met: an order in several traces lost its
 * context on the way. An IdTable rather than a Map: 100,000 orders hashed by V8's Map were
 * the largest single cost of the loop over traces.
 */
class OrderTraceIds {
  private readonly slots = new IdTable(true);
  private readonly orders: string[] = [];
  private readonly first: string[] = [];
  /** The trace ids of an order met in more than one trace. */
  private readonly more: Array<Set<string> | undefined> = [];

  constructor(expected: number) {
    this.slots.reset(expected);
  }

  add(orderId: string, traceID: string): void {
    const n = this.orders.length;
    if (this.slots.add(orderId, n)) {
      this.orders.push(orderId);
      this.first.push(traceID);
      this.more.push(undefined);
      return;
    }
    const i = this.slots.get(orderId);
    const more = this.more[i];
    if (more) more.add(traceID);
    else if (this.first[i] !== traceID) this.more[i] = new Set([this.first[i]!, traceID]);
  }

  /** Orders met in several traces, with their trace ids sorted. */
  split(): Array<PropagationReport['splitOrders'][number]> {
    const out: Array<PropagationReport['splitOrders'][number]> = [];
    for (let i = 0; i < this.orders.length; i++) {
      const more = this.more[i];
      if (more) out.push({ orderId: this.orders[i]!, traceIDs: [...more].sort() });
    }
    return out;
  }
}

/** Evenly picks at most n of `count` positions, always keeping the first and the last. */
function pick(count: number, n: number): number[] {
  const out: number[] = [];
  if (count <= n) {
    for (let i = 0; i < count; i++) out.push(i);
  } else if (n <= 1) {
    if (count > 0) out.push(count - 1);
  } else {
    for (let i = 0; i < n; i++) out.push(Math.round((i * (count - 1)) / (n - 1)));
  }
  return out;
}

/**
 * Everything `tracelab analyze` tells about a set of traces: per stage latency, queue wait per
 * hop and its growth with the bus's order of the messages, each consumer as a queue judged
 * inside its busy periods (saturated or not), the critical path of each trace and what
 * dominates it, the one bottleneck (report.bottleneck), resource cost per operation and
 * intensity, broken propagation; then findings in words, the headline first. Pure; odd
 * traces are counted in `warnings`, never thrown on. Traces are Jaeger's JSON, or whatever
 * `reader` reads (the collector's stored spans).
 */
export function analyzeTraces(
  traces: readonly JaegerTrace[],
  options?: AnalyzeOptions,
): AnalysisReport;
export function analyzeTraces<T>(
  traces: readonly T[],
  options: AnalyzeOptions,
  reader: TraceReader<T>,
): AnalysisReport;
export function analyzeTraces<T>(
  traces: readonly T[],
  options: AnalyzeOptions = {},
  reader: TraceReader<T> = jaegerTraceReader as unknown as TraceReader<T>,
): AnalysisReport {
  const only = options.service;
  const keepPaths = traces.length <= (options.keepPathsUpTo ?? 200);
  const maxPoints = options.maxArrivalPoints ?? 2000;

  const stageIds = new StageIds();
  // The stages in the order of the report: by service, then operation, each as first met.
  const stageKeys = new Keyed2<StageKey>();
  const hopAcc = new Keyed2<HopAcc>();
  /** The hop accumulator last used for the i-th hop of a trace: most traces have the same hops. */
  const hopCache: HopAcc[] = [];
  const byOperation = new Map<string, ResourceAcc>();
  const byIntensity = new Map<string, ResourceAcc>();
  // Critical paths of order traces, and of the others (GET /order polls and the like): the
  // stage that dominates is told over order traces when there are any.
  type PathAcc = Record<PathStageKey['kind'], Keyed2<PathStageStatsAcc>>;
  const pathAccOrders: PathAcc = { span: new Keyed2(), queue: new Keyed2() };
  const pathAccOthers: PathAcc = { span: new Keyed2(), queue: new Keyed2() };
  type PathById = Record<PathStageKey['kind'], Array<PathStageStatsAcc | undefined>>;
  const pathByIdOrders: PathById = { span: [], queue: [] };
  const pathByIdOthers: PathById = { span: [], queue: [] };
  let pathTotalOrdersUs = 0;
  let pathTotalOthersUs = 0;
  const t = new SpanTable();
  // Durations by stage id.
  const stageDurations: Array<Column | undefined> = [];
  const hops = new Hops();
  const place: BusPlace = { partition: '', hi: NaN, lo: NaN };
  const path = new PathRecorder(t);
  const tracePaths: TraceCriticalPath[] = [];
  // Per trace, by its number in the set: what a hop's message points need to name it.
  const traceIDs = new Array<string>(traces.length);
  const traceOrderIds = new Array<string | undefined>(traces.length);
  const progress: Progress = { done: 0, total: traces.length };
  // Each order's trace ids: more than one is broken propagation.
  const tracesByOrder = new OrderTraceIds(traces.length);
  const orderTraces: OrderTraces = { traceIDs: [], orderIds: [], services: [] };
  let lastServices: readonly string[] = [];
  const services: string[] = [];
  const endToEnd = new Column(progress);
  const warningCounts: Record<string, number> = {};
  const warningSamples: AnalysisWarning[] = [];
  let warningTotal = 0;
  let orphanSpans = 0;
  const noteWarning = (w: AnalysisWarning) => {
    warningTotal++;
    warningCounts[w.code] = (warningCounts[w.code] ?? 0) + 1;
    if (w.code === 'missing-parent') orphanSpans++;
    if (warningSamples.length < WARNING_SAMPLES) warningSamples.push(w);
  };
  let spanCount = 0;
  let fromUs = Infinity;
  let toUs = -Infinity;

  for (let traceNo = 0; traceNo < traces.length; traceNo++) {
    const trace = traces[traceNo]!;
    progress.done = traceNo + 1;
    t.load(reader, trace);
    const warnings = t.warnings;
    const traceID = t.traceID;
    const n = t.n;
    spanCount += n;
    if (n > 0) {
      if (t.startUs < fromUs) fromUs = t.startUs;
      if (t.endUs > toUs) toUs = t.endUs;
    }
    let orderId: string | undefined;
    for (let k = 0; k < n && orderId === undefined; k++) orderId = t.orderId[t.order[k]!];
    traceIDs[traceNo] = traceID;
    traceOrderIds[traceNo] = orderId;

    if (stageIds.ofSlot.length < n) stageIds.ofSlot = new Int32Array(n * 2);
    const stageOf = stageIds.ofSlot;
    // The services of an order trace: a few, so a list beats a set.
    services.length = 0;
    let lastService = '';
    let ops: Map<string, number> | undefined;
    for (let k = 0; k < n; k++) {
      const i = t.order[k]!;
      const service = t.service[i]!;
      if (ops === undefined || service !== lastService) {
        if (!services.includes(service)) services.push(service);
        lastService = service;
        ops = stageIds.ofService(service);
      }
      const stage = (stageOf[i] = stageIds.id(ops, t.operation[i]!));
      if (only !== undefined && service !== only) continue;
      const d = t.end[i]! - t.start[i]!;
      let durations = stageDurations[stage];
      if (durations === undefined) {
        stageDurations[stage] = durations = new Column(progress);
        const operation = t.operation[i]!;
        stageKeys.add(service, operation, { service, operation, id: stage });
      }
      durations.push(d);
      const w = t.workload[i];
      if (w !== undefined) {
        let acc = byOperation.get(w);
        if (acc === undefined) byOperation.set(w, (acc = new ResourceAcc(progress)));
        acc.add(t, i, d);
        const intensity = t.intensity[i];
        if (intensity !== undefined) {
          acc = byIntensity.get(intensity);
          if (acc === undefined) byIntensity.set(intensity, (acc = new ResourceAcc(progress)));
          acc.add(t, i, d);
        }
      }
    }
    if (orderId !== undefined) {
      tracesByOrder.add(orderId, traceID);
      if (!sameList(services, lastServices)) lastServices = services.slice();
      orderTraces.traceIDs.push(traceID);
      orderTraces.orderIds.push(orderId);
      orderTraces.services.push(lastServices);
      if (n > 0) endToEnd.push(t.endUs - t.start[t.root]!);
    }

    const hopCount = hops.find(t, warnings);
    for (let h = 0; h < hopCount; h++) {
      const p = hops.producer[h]!;
      const c = hops.consumer[h]!;
      const fromService = t.service[p]!;
      const toService = t.service[c]!;
      if (only !== undefined && toService !== only && fromService !== only) continue;
      const topic = hops.topic(t, h);
      let acc = hopCache[h];
      if (
        acc === undefined ||
        acc.topic !== topic ||
        acc.fromService !== fromService ||
        acc.toService !== toService
      ) {
        const pair = `${fromService}\u0000${toService}`;
        acc =
          hopAcc.find(topic, pair) ??
          hopAcc.add(topic, pair, {
            topic,
            fromService,
            toService,
            publishedUs: new Column(progress),
            waitUs: new Column(progress),
            traceNo: new Column(progress),
            serviceTimes: new Column(progress),
            startUs: new Column(progress),
            endUs: new Column(progress),
            partition: [],
            placeHi: new Column(progress),
            placeLo: new Column(progress),
            instances: new Set<string>(),
          });
        hopCache[h] = acc;
      }
      const raw = t.start[c]! - t.end[p]!;
      acc.publishedUs.push(t.end[p]!);
      acc.waitUs.push(raw > 0 ? raw : 0);
      acc.traceNo.push(traceNo);
      acc.serviceTimes.push(t.end[c]! - t.start[c]!);
      acc.startUs.push(t.start[c]!);
      acc.endUs.push(t.end[c]!);
      // The producer's record of the message, else the consumer's (the same place).
      if (readBusPlace(t, p, place) || readBusPlace(t, c, place)) {
        acc.partition.push(place.partition);
        acc.placeHi.push(place.hi);
        acc.placeLo.push(place.lo);
      } else {
        acc.partition.push('');
        acc.placeHi.push(NaN);
        acc.placeLo.push(NaN);
      }
      acc.instances.add(reader.instance(trace, t.ref[c]));
    }

    path.reset();
    walkCriticalPath(t, warnings, path);
    if (path.length > 0) {
      const pathAcc = orderId !== undefined ? pathAccOrders : pathAccOthers;
      const pathById = orderId !== undefined ? pathByIdOrders : pathByIdOthers;
      let dominant: PathStageStatsAcc | undefined;
      let dominantUs = -1;
      const stageCount = path.sumStages(stageOf, stageIds.count);
      for (let j = 0; j < stageCount; j++) {
        const { kind, span, us } = path.stageAt(j);
        let acc = pathById[kind][stageOf[span]!];
        if (acc === undefined) {
          const service = t.service[span]!;
          const operation = t.operation[span]!;
          acc = pathAcc[kind].add(service, operation, {
            service,
            operation: kind === 'queue' ? `queue ${t.topic[span] ?? ''}`.trim() : operation,
            kind,
            dominatesTraces: 0,
            totalUs: 0,
          });
          pathById[kind][stageOf[span]!] = acc;
        }
        acc.totalUs += us;
        if (us > dominantUs) {
          dominant = acc;
          dominantUs = us;
        }
      }
      dominant!.dominatesTraces++;
      const durationUs = path.durationUs();
      if (orderId !== undefined) pathTotalOrdersUs += durationUs;
      else pathTotalOthersUs += durationUs;
      const dominantKey = {
        service: dominant!.service,
        operation: dominant!.operation,
        kind: dominant!.kind,
        us: dominantUs,
        share: durationUs > 0 ? round(dominantUs / durationUs, 3) : 0,
      };
      const segments = keepPaths ? path.segments() : NO_SEGMENTS;
      tracePaths.push(
        orderId !== undefined
          ? { traceID, orderId, durationUs, dominant: dominantKey, segments }
          : { traceID, durationUs, dominant: dominantKey, segments },
      );
    }

    for (const w of warnings) noteWarning(w);
  }

  const stages: StageStats[] = [...stageKeys.values()]
    .map((s) => ({
      service: s.service,
      operation: s.operation,
      duration: summarise(stageDurations[s.id]!.values()),
    }))
    .sort((a, b) => a.service.localeCompare(b.service) || b.duration.p50Us - a.duration.p50Us);

  /** The k-th message of `o`, in a hop or queue `m`, as a point of the report. */
  const pointOf =
    (m: Messages & { readonly traceNo: number[] }, o: MessageOrder) =>
    (k: number): ArrivalPoint => {
      const i = o.order[k]!;
      const traceNo = m.traceNo[i]!;
      const traceID = traceIDs[traceNo]!;
      const orderId = traceOrderIds[traceNo];
      const point: ArrivalPoint = {
        rank: o.rank[k]!,
        ...(o.partitions > 1 ? { partition: m.partition[i]! } : {}),
        traceID,
        ...(orderId !== undefined ? { orderId } : {}),
        publishedUs: m.publishedUs[i]!,
        waitUs: m.waitUs[i]!,
      };
      return point;
    };

  const hopStats: HopStats[] = [];
  // A hop's messages in bus order, for its queue when the queue is that one hop (the usual).
  const hopOrders = new Map<HopAcc, { m: ReturnType<typeof messagesOf>; o: MessageOrder }>();
  for (const acc of hopAcc.values()) {
    const m = messagesOf([acc]);
    const n = m.count;
    const o = busOrder(m);
    hopOrders.set(acc, { m, o });
    if (!o.byBus && n > 0) {
      let first = 0;
      while (m.placeHi[first] === m.placeHi[first]) first++;
      noteWarning({
        code: 'no-bus-order',
        traceID: traceIDs[m.traceNo[first]!]!,
        message: `${o.unplaced} of ${n} messages in \`${acc.topic}\` (to ${acc.toService}) carry no bus position (messaging.message.id, or Kafka partition and offset): ranked by publish time instead`,
      });
    }
    const ranks = new Float64Array(n);
    const waits = new Float64Array(n);
    let longest = 0;
    for (let k = 0; k < n; k++) {
      ranks[k] = o.rank[k]!;
      waits[k] = m.waitUs[o.order[k]!]!;
      if (waits[k]! > waits[longest]!) longest = k;
    }
    const point = pointOf(m, o);
    const fit = groupedFit(ranks, waits, o.group, o.partitions);
    hopStats.push({
      topic: acc.topic,
      fromService: acc.fromService,
      toService: acc.toService,
      wait: summarise(m.waitUs as number[]),
      orderedBy: o.byBus ? 'bus' : 'publish-time',
      partitions: o.partitions,
      growth: {
        slopeUsPerRank: round(fit.slope, 0),
        r: round(fit.r, 3),
        growing: n >= 3 && fit.slope >= MIN_GROWTH_US && fit.r >= 0.5,
        first: n > 0 ? point(0) : null,
        last: n > 0 ? point(n - 1) : null,
        longest: n > 0 ? point(longest) : null,
      },
      byArrival: pick(n, maxPoints).map(point),
      byArrivalSampled: n > maxPoints,
    });
  }
  hopStats.sort((a, b) => b.wait.meanUs - a.wait.meanUs);

  // A queue is a consumer service's group on a topic, whichever services publish to it.
  const queues = new Keyed2<HopAcc[]>();
  for (const acc of hopAcc.values()) {
    const list = queues.find(acc.topic, acc.toService);
    if (list) list.push(acc);
    else queues.add(acc.topic, acc.toService, [acc]);
  }
  const consumers: ConsumerStats[] = [];
  for (const accs of queues.values()) {
    const { m, o } =
      accs.length === 1
        ? hopOrders.get(accs[0]!)!
        : (() => {
            const all = messagesOf(accs);
            return { m: all, o: busOrder(all) };
          })();
    const instances = new Set<string>();
    for (const a of accs) for (const x of a.instances) instances.add(x);
    const replicas = Math.max(1, instances.size);
    const periods = busyPeriodsOf(m, o, replicas, pointOf(m, o));
    const serviceTimes =
      accs.length === 1
        ? accs[0]!.serviceTimes.values()
        : accs.flatMap((a) => a.serviceTimes.values());
    consumers.push(
      consumerStats(
        accs[0]!.topic,
        accs[0]!.toService,
        m,
        replicas,
        summarise(serviceTimes),
        o,
        periods,
      ),
    );
  }
  consumers.sort((a, b) => load(b) - load(a));

  const ordersOnly = pathAccOrders.span.size + pathAccOrders.queue.size > 0;
  const pathTotalUs = ordersOnly ? pathTotalOrdersUs : pathTotalOthersUs;
  const chosen = ordersOnly ? pathAccOrders : pathAccOthers;
  const byStage: PathStageStats[] = [...chosen.span.values(), ...chosen.queue.values()]
    .map((p) => ({ ...p, share: pathTotalUs > 0 ? round(p.totalUs / pathTotalUs, 3) : 0 }))
    .sort((a, b) => b.dominatesTraces - a.dominatesTraces || b.totalUs - a.totalUs);

  const rank = (k: string) => {
    const i = INTENSITY_ORDER.indexOf(k);
    return i < 0 ? INTENSITY_ORDER.length : i;
  };
  const resources = {
    byOperation: [...byOperation]
      .map(([k, acc]) => acc.stats(k))
      .sort((a, b) => (b.cpuAvg ?? 0) - (a.cpuAvg ?? 0)),
    byIntensity: [...byIntensity]
      .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
      .map(([k, acc]) => acc.stats(k)),
  };

  const criticalPath = {
    byStage,
    traces: ordersOnly ? tracePaths.filter((p) => p.orderId !== undefined) : tracePaths,
  };
  const bottleneck = bottleneckOf(consumers, criticalPath);
  const propagation = propagationOf(tracesByOrder, orderTraces, orphanSpans, options);
  const partial = {
    version: 1 as const,
    traces: {
      count: traces.length,
      spans: spanCount,
      fromUs: Number.isFinite(fromUs) ? fromUs : 0,
      toUs: Number.isFinite(toUs) ? toUs : 0,
      endToEnd: summarise(endToEnd.values()),
    },
    ...(only !== undefined ? { service: only } : {}),
    stages,
    hops: hopStats,
    consumers,
    bottleneck,
    criticalPath,
    resources,
    propagation,
    warnings: { total: warningTotal, byCode: warningCounts, samples: warningSamples },
  };
  const findings = findingsOf(partial);
  return { ...partial, headline: findings[0]!, findings };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** How loaded a consumer is, to sort by: saturated first, by their worst wait; unknown last. */
function load(c: ConsumerStats): number {
  if (c.verdict === 'unknown') return -1;
  const worstWait = c.busyPeriods.worst?.wait.maxUs ?? 0;
  return c.verdict === 'saturated' ? 1e15 + worstWait : worstWait;
}

/**
 * A consumer as a queue: the window's figures, and the verdict from its busy periods (see
 * busy-periods.ts): saturated if any of them saturated.
 */
function consumerStats(
  topic: string,
  service: string,
  m: Messages,
  instances: number,
  serviceTime: Distribution,
  o: MessageOrder,
  periods: BusyPeriods,
): ConsumerStats {
  const n = m.count;
  let firstUs = Infinity;
  let lastUs = -Infinity;
  for (let i = 0; i < n; i++) {
    const p = m.publishedUs[i]!;
    if (p < firstUs) firstUs = p;
    if (p > lastUs) lastUs = p;
  }
  const arrivalIntervalUs = n >= 2 ? (lastUs - firstUs) / (n - 1) : null;
  const capacityUs = arrivalIntervalUs === null ? 0 : arrivalIntervalUs * instances;
  const utilisation = capacityUs > 0 ? round(serviceTime.meanUs / capacityUs, 3) : null;
  const worst = periods.worst;
  const each = instances > 1 ? ` on each of ${instances} replicas` : '';
  let verdict: ConsumerStats['verdict'];
  let reason: string;
  if (worst?.saturated) {
    verdict = 'saturated';
    const gap =
      worst.utilisation === null
        ? `0 s between arrivals (all ${worst.messages} at once)`
        : `${instances > 1 ? `${instances} × ` : ''}the ${fmt(worst.arrivalIntervalUs ?? 0)} between arrivals`;
    const where =
      worst.messages < n
        ? ` in its worst busy period (${worst.messages} of ${n} messages, over ${fmt(worst.toUs - worst.fromUs)})`
        : '';
    reason = `service time ${fmt(worst.serviceTimeMeanUs)}${each} exceeds ${gap}${where}, so messages queue in ${topic}`;
  } else if (n < 2 || (n === 2 && periods.overlapping > 0)) {
    verdict = 'unknown';
    reason = `only ${n} message${n === 1 ? '' : 's'} on ${topic}: too few to tell`;
  } else {
    verdict = 'keeping up';
    reason =
      periods.overlapping === 0
        ? `every message found ${topic} empty: none waited for another`
        : `none of its ${periods.overlapping} busy periods of 2 or more messages outran it (the longest wait: ${fmt(worst!.wait.maxUs)}, service time ${fmt(worst!.serviceTimeMeanUs)}${each})`;
  }
  return {
    service,
    topic,
    messages: n,
    instances,
    arrivalIntervalUs: arrivalIntervalUs === null ? null : Math.round(arrivalIntervalUs),
    serviceTime,
    utilisation,
    orderedBy: o.byBus ? 'bus' : 'publish-time',
    busyPeriods: {
      count: periods.count,
      overlapping: periods.overlapping,
      saturated: periods.saturated,
      worst,
    },
    verdict,
    reason,
  };
}

function propagationOf(
  tracesByOrder: OrderTraceIds,
  orderTraces: OrderTraces,
  orphanSpans: number,
  options: AnalyzeOptions,
): PropagationReport {
  let expected = options.expectedServices;
  if (expected === undefined) {
    const all = new Set<string>();
    for (const services of orderTraces.services) for (const s of services) all.add(s);
    expected = [...all].sort();
  }
  const splitOrders = tracesByOrder.split();
  const missingServices: Array<PropagationReport['missingServices'][number]> = [];
  for (let i = 0; i < orderTraces.traceIDs.length; i++) {
    const services = orderTraces.services[i]!;
    let missing: string[] | undefined;
    for (const s of expected) if (!services.includes(s)) (missing ??= []).push(s);
    if (missing) {
      missingServices.push({
        traceID: orderTraces.traceIDs[i]!,
        orderId: orderTraces.orderIds[i]!,
        missing,
      });
    }
  }
  return {
    orderTraces: orderTraces.traceIDs.length,
    splitOrders,
    orphanSpans,
    missingServices,
    expectedServices: expected,
  };
}
