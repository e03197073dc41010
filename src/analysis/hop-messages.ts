import type { TraceReader } from '../model/index.js';
import { readBusPlace } from './bus-order.js';
import type { BusPlace } from './bus-order.js';
import { MIN_GROWTH_US } from './busy-periods.js';
import type { Progress } from './column.js';
import { consumersOf, inBusOrder } from './consumer-queues.js';
import type { OrderedMessages } from './consumer-queues.js';
import { HopColumns, messagesOf } from './hop-columns.js';
import { Hops } from './queue-wait.js';
import type { ArrivalPoint, ConsumerStats, HopStats } from './report-types.js';
import type { SpanTable } from './span-table.js';
import { round } from '../errors/index.js';
import { groupedFit, summarise } from './stats.js';
import { TwoKeyMap } from './two-key-map.js';
import type { AnalysisWarning } from './types.js';

/**
 * Every message that crossed the bus, per hop (topic, producing and consuming service): the
 * report's `hops`, with their queue wait and its growth in the bus's order, and `consumers`,
 * each queue judged inside its busy periods.
 */
export class HopMessages {
  private readonly hops = new Hops();
  private readonly byHop = new TwoKeyMap<HopColumns>();
  /** The hop last used for the i-th hop of a trace: most traces have the same hops. */
  private readonly recent: HopColumns[] = [];
  private readonly place: BusPlace = { partition: '', hi: NaN, lo: NaN };
  /** Per trace, by its number in the set: what a message's point names. */
  private readonly traceIDs: string[];
  private readonly orderIds: Array<string | undefined>;

  constructor(
    traceCount: number,
    private readonly progress: Progress,
    /** Only hops to or from this service, when set. */
    private readonly only: string | undefined,
    private readonly maxPoints: number,
  ) {
    this.traceIDs = new Array<string>(traceCount);
    this.orderIds = new Array<string | undefined>(traceCount);
  }

  /**
   * Adds the hops of t, the traceNo-th trace, of order `orderId` if any; clock skew between a
   * producer and its consumer is warned of in t.warnings.
   */
  add<T>(
    t: SpanTable,
    traceNo: number,
    orderId: string | undefined,
    reader: TraceReader<T>,
    trace: T,
  ): void {
    this.traceIDs[traceNo] = t.traceID;
    this.orderIds[traceNo] = orderId;
    const hops = this.hops;
    const only = this.only;
    const place = this.place;
    const count = hops.find(t, t.warnings);
    for (let h = 0; h < count; h++) {
      const p = hops.producer[h]!;
      const c = hops.consumer[h]!;
      const fromService = t.service[p]!;
      const toService = t.service[c]!;
      if (only !== undefined && toService !== only && fromService !== only) continue;
      const hop = this.hopOf(h, hops.topic(t, h), fromService, toService);
      // The producer's record of the message, else the consumer's (the same place).
      const placed = readBusPlace(t, p, place) || readBusPlace(t, c, place);
      const instance = reader.instance(trace, t.ref[c]);
      hop.add(traceNo, t.end[p]!, t.start[c]!, t.end[c]!, placed ? place : null, instance);
    }
  }

  /** The hops, longest mean wait first, and the consumers; warns where the bus gave no order. */
  result(warn: (w: AnalysisWarning) => void): {
    hops: HopStats[];
    consumers: ConsumerStats[];
  } {
    const hops: HopStats[] = [];
    // A hop's messages in bus order, for its queue when the queue is that one hop (the usual).
    const ordered = new Map<HopColumns, OrderedMessages>();
    for (const hop of this.byHop.values()) {
      const q = inBusOrder(messagesOf([hop]));
      ordered.set(hop, q);
      if (!q.o.byBus && q.m.count > 0) warn(this.noBusOrder(hop, q));
      hops.push(this.hopStats(hop, q));
    }
    hops.sort((a, b) => b.wait.meanUs - a.wait.meanUs);
    const consumers = consumersOf(this.byHop.values(), ordered, (q) => this.pointOf(q));
    return { hops, consumers };
  }

  private hopOf(h: number, topic: string, fromService: string, toService: string): HopColumns {
    const hop = this.recent[h];
    if (
      hop !== undefined &&
      hop.topic === topic &&
      hop.fromService === fromService &&
      hop.toService === toService
    ) {
      return hop;
    }
    const pair = `${fromService}\u0000${toService}`;
    return (this.recent[h] =
      this.byHop.find(topic, pair) ??
      this.byHop.add(topic, pair, new HopColumns(topic, fromService, toService, this.progress)));
  }

  private noBusOrder(hop: HopColumns, { m, o }: OrderedMessages): AnalysisWarning {
    let first = 0;
    while (m.placeHi[first] === m.placeHi[first]) first++;
    return {
      code: 'no-bus-order',
      traceID: this.traceIDs[m.traceNo[first]!]!,
      message: `${o.unplaced} of ${m.count} messages in \`${hop.topic}\` (to ${hop.toService}) carry no bus position (messaging.message.id, or Kafka partition and offset): ranked by publish time instead`,
    };
  }

  /** A hop's wait, and how it grows with the message's rank in the bus. */
  private hopStats(hop: HopColumns, q: OrderedMessages): HopStats {
    const { m, o } = q;
    const n = m.count;
    const ranks = new Float64Array(n);
    const waits = new Float64Array(n);
    let longest = 0;
    for (let k = 0; k < n; k++) {
      ranks[k] = o.rank[k]!;
      waits[k] = m.waitUs[o.order[k]!]!;
      if (waits[k]! > waits[longest]!) longest = k;
    }
    const point = this.pointOf(q);
    const fit = groupedFit(ranks, waits, o.group, o.partitions);
    return {
      topic: hop.topic,
      fromService: hop.fromService,
      toService: hop.toService,
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
      byArrival: pick(n, this.maxPoints).map(point),
      byArrivalSampled: n > this.maxPoints,
    };
  }

  /** The k-th message of an order, as a point of the report. */
  private pointOf({ m, o }: OrderedMessages): (k: number) => ArrivalPoint {
    return (k) => {
      const i = o.order[k]!;
      const traceNo = m.traceNo[i]!;
      const orderId = this.orderIds[traceNo];
      return {
        rank: o.rank[k]!,
        ...(o.partitions > 1 ? { partition: m.partition[i]! } : {}),
        traceID: this.traceIDs[traceNo]!,
        ...(orderId !== undefined ? { orderId } : {}),
        publishedUs: m.publishedUs[i]!,
        waitUs: m.waitUs[i]!,
      };
    };
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
