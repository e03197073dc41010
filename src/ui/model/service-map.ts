import { percentile } from '../../analysis/index.js';

/** One message hop seen in a trace: who sent it, on which topic, who handled it. */
export interface Hop {
  readonly fromService: string;
  readonly topic: string;
  readonly toService: string;
  readonly publishedUs: number;
  readonly waitUs: number;
  /** The consumer span ended in error. */
  readonly error: boolean;
}

/** A topic between two services, with what its messages did over the window. */
export interface MapEdge {
  readonly fromService: string;
  readonly topic: string;
  readonly toService: string;
  readonly count: number;
  /** Messages per minute over the window the hops span. */
  readonly perMinute: number;
  readonly waitP50Us: number;
  readonly waitP95Us: number;
  /** Share of the hops whose consumer span failed, 0..1. */
  readonly errorRate: number;
}

/**
 * One synchronous call seen in a trace: an HTTP CLIENT span whose child SERVER span is in
 * another service (`http`), or a database statement, a CLIENT span with a database system
 * (`database`, to that system).
 */
export interface Call {
  readonly kind: 'http' | 'database';
  readonly fromService: string;
  /** The called service, or for a database its system (postgresql, redis). */
  readonly to: string;
  /** What was called: the server span's route (`POST /reservations`), or the statement's verb. */
  readonly operation: string;
  readonly startUs: number;
  /** The client span's duration: what the caller waited. */
  readonly durationUs: number;
  readonly error: boolean;
  /** The trace it was made in: attempts per order are calls per trace. */
  readonly traceId?: string;
}

/**
 * A circuit breaker's state as a span of the calling service saw it
 * (`tracelab.circuit_breaker.state`): on each attempt's CLIENT span, and on the stage span of a
 * call the open breaker refused (which has no HTTP span).
 */
export interface BreakerReading {
  readonly fromService: string;
  /** The span's end: when the state was read, at the latest. */
  readonly atUs: number;
  readonly state: string;
}

/** Synchronous calls from one service to another service or a database, over the window. */
export interface CallEdge {
  readonly kind: Call['kind'];
  readonly fromService: string;
  readonly to: string;
  /** What was called, the most frequent first. */
  readonly operations: readonly string[];
  readonly count: number;
  readonly perMinute: number;
  readonly latencyP50Us: number;
  readonly latencyP95Us: number;
  readonly errorRate: number;
  /** HTTP: calls per trace that made one (attempts per order, retries included). */
  readonly perTrace?: number;
  /** HTTP: the caller's circuit breaker as last seen (closed, open, half_open), if it has one. */
  readonly breaker?: string;
}

export interface ServiceMap {
  readonly services: readonly string[];
  /** Database systems the services call, as nodes of their own. */
  readonly databases: readonly string[];
  readonly edges: readonly MapEdge[];
  readonly calls: readonly CallEdge[];
  readonly windowUs: number;
}

/** Groups items by a key, in the order first met. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return [...groups.values()];
}

/** The labels of a list, the most frequent first. */
function byFrequency(labels: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([l]) => l);
}

/** Folds the calls of many traces into one edge per (caller, callee). */
function callEdges(calls: readonly Call[], windowUs: number): CallEdge[] {
  return groupBy(calls, (c) => `${c.kind}\u0000${c.fromService}\u0000${c.to}`).map((list) => {
    const durations = list.map((c) => c.durationUs).sort((a, b) => a - b);
    const c = list[0]!;
    const traces = new Set(list.map((x) => x.traceId).filter((t) => t !== undefined));
    return {
      ...(c.kind === 'http' && traces.size > 0 ? { perTrace: list.length / traces.size } : {}),
      kind: c.kind,
      fromService: c.fromService,
      to: c.to,
      operations: byFrequency(list.map((x) => x.operation)),
      count: list.length,
      perMinute: (list.length / windowUs) * 60_000_000,
      latencyP50Us: percentile(durations, 50),
      latencyP95Us: percentile(durations, 95),
      errorRate: list.filter((x) => x.error).length / list.length,
    };
  });
}

/**
 * Folds the hops and calls of many traces into one edge per (sender, topic, handler) and one
 * per (caller, callee). Pure.
 */
export function buildServiceMap(
  hops: readonly Hop[],
  services: readonly string[],
  calls: readonly Call[] = [],
  breakers: readonly BreakerReading[] = [],
): ServiceMap {
  let first = Infinity;
  let last = -Infinity;
  for (const t of [...hops.map((h) => h.publishedUs), ...calls.map((c) => c.startUs)]) {
    first = Math.min(first, t);
    last = Math.max(last, t);
  }
  // One minute at least, so a handful of hops sent at once does not read as a huge rate.
  const windowUs = hops.length + calls.length === 0 ? 0 : Math.max(60_000_000, last - first);
  const groups = groupBy(hops, (h) => `${h.fromService}\u0000${h.topic}\u0000${h.toService}`);
  const edges: MapEdge[] = groups.map((list) => {
    const waits = list.map((h) => h.waitUs).sort((a, b) => a - b);
    const h = list[0]!;
    return {
      fromService: h.fromService,
      topic: h.topic,
      toService: h.toService,
      count: list.length,
      perMinute: (list.length / windowUs) * 60_000_000,
      waitP50Us: percentile(waits, 50),
      waitP95Us: percentile(waits, 95),
      errorRate: list.filter((x) => x.error).length / list.length,
    };
  });
  const callList = withBreakers(callEdges(calls, windowUs), breakers);
  const all = new Set(services);
  for (const e of edges) {
    all.add(e.fromService);
    all.add(e.toService);
  }
  for (const c of callList) {
    all.add(c.fromService);
    if (c.kind === 'http') all.add(c.to);
  }
  const databases = [...new Set(callList.filter((c) => c.kind === 'database').map((c) => c.to))];
  return { services: [...all], databases, edges, calls: callList, windowUs };
}

/**
 * Each HTTP call edge with its caller's breaker as last seen. A reading names the caller only:
 * the lab's one breaker guards processing's one dependency, inventory.
 */
function withBreakers(edges: CallEdge[], readings: readonly BreakerReading[]): CallEdge[] {
  const last = new Map<string, BreakerReading>();
  for (const r of readings) {
    const seen = last.get(r.fromService);
    if (!seen || r.atUs >= seen.atUs) last.set(r.fromService, r);
  }
  return edges.map((e) => {
    const r = e.kind === 'http' ? last.get(e.fromService) : undefined;
    return r ? { ...e, breaker: r.state } : e;
  });
}

/** A consumer group's backlog on a topic, as the live lag reports it. */
export interface GroupBacklog {
  readonly group: string;
  readonly topic: string;
  readonly lag: number;
}

/**
 * One topic as a sender publishes it, with every consumer group that reads it: two or more
 * is fan-out, each group receiving every message, each with its own wait and its own lag.
 */
export interface TopicFan {
  readonly fromService: string;
  readonly topic: string;
  /** Indexes into `ServiceMap.edges`, one per consumer group, in the order first met. */
  readonly edges: readonly number[];
}

/** The map's queue edges grouped by (sender, topic). Pure. */
export function topicFans(map: Pick<ServiceMap, 'edges'>): TopicFan[] {
  const fans = new Map<string, { fromService: string; topic: string; edges: number[] }>();
  map.edges.forEach((e, i) => {
    const key = `${e.fromService}\u0000${e.topic}`;
    const fan = fans.get(key);
    if (fan) fan.edges.push(i);
    else fans.set(key, { fromService: e.fromService, topic: e.topic, edges: [i] });
  });
  return [...fans.values()];
}

/**
 * The live lag of the group that handles an edge: each consumer group is named after its
 * service (`analytics-service`), so the edge's handler names its group. Undefined when the
 * lag report has no such group (no bus, or not read yet).
 */
export function lagOfEdge(
  edge: Pick<MapEdge, 'topic' | 'toService'>,
  backlog: readonly GroupBacklog[] | undefined,
): number | undefined {
  return backlog?.find((g) => g.group === edge.toService && g.topic === edge.topic)?.lag;
}
