import { IdTable } from './id-table.js';
import type { PropagationReport } from './report-types.js';
import { PRODUCER } from './span-table.js';
import type { SpanTable } from './span-table.js';

type SplitOrder = PropagationReport['splitOrders'][number];

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
  split(): SplitOrder[] {
    const out: SplitOrder[] = [];
    for (let i = 0; i < this.orders.length; i++) {
      const more = this.more[i];
      if (more) out.push({ orderId: this.orders[i]!, traceIDs: [...more].sort() });
    }
    return out;
  }
}

/**
 * Whether trace context held along each order: orders split over several traces, and order
 * traces that miss services the others reach: `propagation`.
 */
export class Propagation {
  private readonly tracesByOrder: OrderTraceIds;
  /** The order traces, as columns: trace id, order id, the services it reached. */
  private readonly traceIDs: string[] = [];
  private readonly orderIds: string[] = [];
  /** Lists shared between consecutive traces that reach the same services (most do). */
  private readonly services: Array<readonly string[]> = [];
  /** Each order trace's first span's start (µs). */
  private readonly starts: number[] = [];
  /**
   * Each order trace's last sender: the service of its latest-starting message send, else the
   * last service it reached. Where the context broke, that service sent the message on: a
   * service it called synchronously (reached later, but sending nothing) did not.
   */
  private readonly senders: string[] = [];
  private lastServices: readonly string[] = [];
  /** The services of the trace being read: a few, so a list beats a set. */
  private readonly reached: string[] = [];

  constructor(expectedTraces: number) {
    this.tracesByOrder = new OrderTraceIds(expectedTraces);
  }

  /** Adds the order trace t of order `orderId`. */
  add(t: SpanTable, orderId: string): void {
    const reached = this.reached;
    reached.length = 0;
    let lastService = '';
    let sender: string | undefined;
    for (let k = 0; k < t.n; k++) {
      const slot = t.order[k]!;
      const service = t.service[slot]!;
      // Slots are in start order: the last producer met is the latest-starting one.
      if (t.kind[slot] === PRODUCER) sender = service;
      if (k > 0 && service === lastService) continue;
      if (!reached.includes(service)) reached.push(service);
      lastService = service;
    }
    this.tracesByOrder.add(orderId, t.traceID);
    if (!sameList(reached, this.lastServices)) this.lastServices = reached.slice();
    this.traceIDs.push(t.traceID);
    this.starts.push(t.n > 0 ? t.start[t.order[0]!]! : 0);
    this.senders.push(sender ?? reached[reached.length - 1] ?? '');
    this.orderIds.push(orderId);
    this.services.push(this.lastServices);
  }

  /** `expectedServices`: those every order trace should reach; by default all that any did. */
  result(orphanSpans: number, expectedServices?: readonly string[]): PropagationReport {
    const expected = expectedServices ?? this.allServices();
    const splitOrders = this.tracesByOrder.split();
    const missingServices: Array<PropagationReport['missingServices'][number]> = [];
    for (let i = 0; i < this.traceIDs.length; i++) {
      const services = this.services[i]!;
      let missing: string[] | undefined;
      for (const s of expected) if (!services.includes(s)) (missing ??= []).push(s);
      if (missing) {
        missingServices.push({ traceID: this.traceIDs[i]!, orderId: this.orderIds[i]!, missing });
      }
    }
    return {
      orderTraces: this.traceIDs.length,
      splitOrders,
      brokenHops: this.brokenHops(splitOrders),
      orphanSpans,
      missingServices,
      expectedServices: expected,
    };
  }

  /**
   * The hops where split orders lost their context: an order's traces in start order, each
   * one's last sender to the next one's first service. Most orders that
   * break, break at the same hop: that hop is the one to look at.
   */
  private brokenHops(split: readonly SplitOrder[]): PropagationReport['brokenHops'] {
    if (split.length === 0) return [];
    const wanted = new Set(split.flatMap((o) => o.traceIDs));
    const at = new Map<string, number>();
    for (let i = 0; i < this.traceIDs.length; i++) {
      if (wanted.has(this.traceIDs[i]!)) at.set(this.traceIDs[i]!, i);
    }
    const counts = new Map<string, { from: string; to: string; orders: number }>();
    for (const order of split) {
      const seen = new Set<string>();
      const traces = order.traceIDs
        .map((id) => at.get(id)!)
        .sort((a, b) => this.starts[a]! - this.starts[b]!);
      for (let k = 1; k < traces.length; k++) {
        const from = this.senders[traces[k - 1]!]!;
        const to = this.services[traces[k]!]![0] ?? '';
        const key = `${from}\u0000${to}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const hop = counts.get(key) ?? { from, to, orders: 0 };
        hop.orders++;
        counts.set(key, hop);
      }
    }
    return [...counts.values()].sort(
      (a, b) => b.orders - a.orders || a.from.localeCompare(b.from) || a.to.localeCompare(b.to),
    );
  }

  private allServices(): string[] {
    const all = new Set<string>();
    for (const services of this.services) for (const s of services) all.add(s);
    return [...all].sort();
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
