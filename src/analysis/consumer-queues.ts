import { busOrder } from './bus-order.js';
import type { MessageOrder, Messages } from './bus-order.js';
import { busyPeriodsOf } from './busy-periods.js';
import type { BusyPeriods } from './busy-periods.js';
import { formatDuration as fmt } from './format.js';
import { messagesOf } from './hop-columns.js';
import type { HopColumns, TracedMessages } from './hop-columns.js';
import type { ArrivalPoint, ConsumerStats } from './report-types.js';
import { round } from '../errors/index.js';
import { summarise } from './stats.js';
import type { Distribution } from './stats.js';
import { TwoKeyMap } from './two-key-map.js';

/** Messages in bus order. */
export interface OrderedMessages {
  readonly m: TracedMessages;
  readonly o: MessageOrder;
}

/**
 * Each consumer as a queue, the most loaded first: a queue is a consumer service's group on a
 * topic, whichever services publish to it. `ordered` holds each hop's messages already in bus
 * order (a queue is most often one hop); `pointOf` names the k-th message of an order.
 */
export function consumersOf(
  hops: Iterable<HopColumns>,
  ordered: ReadonlyMap<HopColumns, OrderedMessages>,
  pointOf: (q: OrderedMessages) => (k: number) => ArrivalPoint,
): ConsumerStats[] {
  const queues = new TwoKeyMap<HopColumns[]>();
  for (const hop of hops) {
    const list = queues.find(hop.topic, hop.toService);
    if (list) list.push(hop);
    else queues.add(hop.topic, hop.toService, [hop]);
  }
  const consumers: ConsumerStats[] = [];
  for (const list of queues.values()) {
    const q = list.length === 1 ? ordered.get(list[0]!)! : inBusOrder(messagesOf(list));
    const instances = new Set<string>();
    for (const hop of list) for (const x of hop.instances) instances.add(x);
    const replicas = Math.max(1, instances.size);
    const periods = busyPeriodsOf(q.m, q.o, replicas, pointOf(q));
    const serviceTimes =
      list.length === 1
        ? list[0]!.serviceTimes.values()
        : list.flatMap((h) => h.serviceTimes.values());
    consumers.push(
      consumerStats(
        list[0]!.topic,
        list[0]!.toService,
        q.m,
        replicas,
        summarise(serviceTimes),
        q.o,
        periods,
      ),
    );
  }
  return consumers.sort((a, b) => load(b) - load(a));
}

export function inBusOrder(m: TracedMessages): OrderedMessages {
  return { m, o: busOrder(m) };
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
  const { verdict, reason } = verdictOn(topic, n, instances, periods);
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
      worst: periods.worst,
    },
    verdict,
    reason,
  };
}

/** The queue's verdict from its busy periods, and the reason in words. */
function verdictOn(
  topic: string,
  n: number,
  instances: number,
  periods: BusyPeriods,
): Pick<ConsumerStats, 'verdict' | 'reason'> {
  const worst = periods.worst;
  const each = instances > 1 ? ` on each of ${instances} replicas` : '';
  if (worst?.saturated) {
    const gap =
      worst.utilisation === null
        ? `0 s between arrivals (all ${worst.messages} at once)`
        : `${instances > 1 ? `${instances} × ` : ''}the ${fmt(worst.arrivalIntervalUs ?? 0)} between arrivals`;
    const where =
      worst.messages < n
        ? ` in its worst busy period (${worst.messages} of ${n} messages, over ${fmt(worst.toUs - worst.fromUs)})`
        : '';
    return {
      verdict: 'saturated',
      reason: `service time ${fmt(worst.serviceTimeMeanUs)}${each} exceeds ${gap}${where}, so messages queue in ${topic}`,
    };
  }
  if (n < 2 || (n === 2 && periods.overlapping > 0)) {
    return {
      verdict: 'unknown',
      reason: `only ${n} message${n === 1 ? '' : 's'} on ${topic}: too few to tell`,
    };
  }
  return {
    verdict: 'keeping up',
    reason:
      periods.overlapping === 0
        ? `every message found ${topic} empty: none waited for another`
        : `none of its ${periods.overlapping} busy periods of 2 or more messages outran it (the longest wait: ${fmt(worst!.wait.maxUs)}, service time ${fmt(worst!.serviceTimeMeanUs)}${each})`,
  };
}
