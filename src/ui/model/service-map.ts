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

export interface ServiceMap {
  readonly services: readonly string[];
  readonly edges: readonly MapEdge[];
  readonly windowUs: number;
}

/** Folds the hops of many traces into one edge per (sender, topic, handler). Pure. */
export function buildServiceMap(hops: readonly Hop[], services: readonly string[]): ServiceMap {
  const groups = new Map<string, Hop[]>();
  let first = Infinity;
  let last = -Infinity;
  for (const h of hops) {
    const key = `${h.fromService}\u0000${h.topic}\u0000${h.toService}`;
    const list = groups.get(key) ?? [];
    list.push(h);
    groups.set(key, list);
    first = Math.min(first, h.publishedUs);
    last = Math.max(last, h.publishedUs);
  }
  // One minute at least, so a handful of hops sent at once does not read as a huge rate.
  const windowUs = hops.length === 0 ? 0 : Math.max(60_000_000, last - first);
  const edges: MapEdge[] = [...groups.values()].map((list) => {
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
  const all = new Set(services);
  for (const e of edges) {
    all.add(e.fromService);
    all.add(e.toService);
  }
  return { services: [...all], edges, windowUs };
}
