import { round } from '../errors/index.js';
import type { MessageOrder, Messages } from './bus-order.js';
import { orderBy } from './bus-order.js';
import type { ArrivalPoint, BusyPeriod, ConsumerStats, PeriodPoint } from './report-types.js';
import { groupedFit } from './stats.js';

/** Waits growing by less than this per message are scheduling noise, not a queue building up. */
export const MIN_GROWTH_US = 1000;
/** Fewer messages show no trend: two can be one slow message and the one behind it. */
const MIN_PERIOD_MESSAGES = 3;
const MIN_GROWTH_R = 0.5;
/**
 * A period's arrivals are a burst, not chance, when a stream at the window's average rate
 * would pack that many messages that close together less often than this, over the window.
 */
const CHANCE = 0.01;

/** P(X ≥ k) for X Poisson with mean mu, summed from the tail (exact where 1 − P(X < k) is not). */
function poissonTail(mu: number, k: number): number {
  if (k <= 0) return 1;
  if (mu <= 0) return 0;
  // log of the k-th term, e^-mu mu^k / k!, then the terms after it until they stop counting.
  let logFactorial = 0;
  for (let i = 2; i <= k; i++) logFactorial += Math.log(i);
  let term = Math.exp(-mu + k * Math.log(mu) - logFactorial);
  let sum = 0;
  for (let i = k; term > sum * 1e-12 || i < mu; i++) {
    sum += term;
    term *= mu / (i + 1);
    if (i > k + 10_000) break;
  }
  return Math.min(1, sum);
}

/** The busy periods of one queue, counted, and the worst of them. */
export interface BusyPeriods {
  readonly count: number;
  readonly overlapping: number;
  readonly saturated: number;
  readonly worst: BusyPeriod | null;
}

/**
 * Splits a queue's messages into busy periods and judges each. A message is in the queue from
 * its publish (the producer span's end) until its handling ends (the consumer span's end); a
 * busy period is a stretch of time in which the queue is never empty: it starts with a
 * message published when every earlier one had been handled, and lasts until the queue
 * drains. Inside it, unlike over the whole window, the quiet time between bursts does not
 * dilute the arrival rate. Positions, growth and the named messages follow `order` (the
 * bus's order); `point` turns the k-th message in that order into a point of the report.
 */
export function busyPeriodsOf(
  m: Messages,
  o: MessageOrder,
  replicas: number,
  point: (k: number) => ArrivalPoint,
): BusyPeriods {
  const n = m.count;
  if (n === 0) return { count: 0, overlapping: 0, saturated: 0, worst: null };
  // Periods by publish time: which period each message is in.
  const byTime = orderBy(m.publishedUs);
  const periodOf = new Int32Array(n);
  const fromUs: number[] = [];
  const lastPublishUs: number[] = [];
  const toUs: number[] = [];
  let drainedUs = -Infinity;
  for (let j = 0; j < n; j++) {
    const i = byTime[j]!;
    const published = m.publishedUs[i]!;
    const end = Math.max(published, m.endUs[i]!);
    if (published >= drainedUs) {
      fromUs.push(published);
      lastPublishUs.push(published);
      toUs.push(end);
    }
    const p = fromUs.length - 1;
    periodOf[i] = p;
    lastPublishUs[p] = published;
    if (end > toUs[p]!) toUs[p] = end;
    if (end > drainedUs) drainedUs = end;
  }
  const count = fromUs.length;
  // The window: its mean arrival rate, and utilisation at that rate (null: all at once).
  let serviceSum = 0;
  for (let i = 0; i < n; i++) serviceSum += m.endUs[i]! - m.startUs[i]!;
  const windowSpanUs = m.publishedUs[byTime[n - 1]!]! - m.publishedUs[byTime[0]!]!;
  const ratePerUs = n > 1 && windowSpanUs > 0 ? (n - 1) / windowSpanUs : null;
  const window = {
    messages: n,
    ratePerUs,
    utilisation: ratePerUs === null ? null : ((serviceSum / n) * ratePerUs) / replicas,
  };

  // Each period's messages in bus order: a counting sort of the order positions by period.
  const start = new Int32Array(count + 1);
  for (let i = 0; i < n; i++) start[periodOf[i]! + 1]!++;
  for (let p = 0; p < count; p++) start[p + 1]! += start[p]!;
  const members = new Int32Array(n);
  const next = start.slice(0, count);
  for (let k = 0; k < n; k++) {
    const p = periodOf[o.order[k]!]!;
    members[next[p]!] = k;
    next[p]!++;
  }

  let overlapping = 0;
  let saturatedCount = 0;
  let worst: Judged | null = null;
  let worstKey = -Infinity;
  for (let p = 0; p < count; p++) {
    const from = start[p]!;
    const size = start[p + 1]! - from;
    if (size < 2) continue;
    overlapping++;
    const period = judge(m, o, replicas, window, members.subarray(from, from + size), {
      fromUs: fromUs[p]!,
      lastPublishUs: lastPublishUs[p]!,
      toUs: toUs[p]!,
    });
    if (period.saturated) saturatedCount++;
    // The worst: saturated before not, then the longest wait, then the most messages.
    const key = (period.saturated ? 1e15 : 0) + period.wait.maxUs + size / (n + 1);
    if (key > worstKey) {
      worst = period;
      worstKey = key;
    }
  }
  return {
    count,
    overlapping,
    saturated: saturatedCount,
    worst: worst === null ? null : withPoints(worst, point),
  };
}

/** A period's figures, its named messages as (position in the order, position in the period). */
type Judged = Omit<BusyPeriod, 'first' | 'last' | 'longest'> & {
  readonly named: readonly [number, number, number, number, number, number];
};

/** The period as the report has it: first, last and longest as points. */
function withPoints(j: Judged, point: (k: number) => ArrivalPoint): BusyPeriod {
  const { named, ...figures } = j;
  const at = (k: number, position: number): PeriodPoint => ({ ...point(k), position });
  return {
    ...figures,
    first: at(named[0], named[1]),
    last: at(named[2], named[3]),
    longest: at(named[4], named[5]),
  };
}

/** A queue's messages over the whole window. */
interface WindowFigures {
  readonly messages: number;
  /** Mean arrivals per µs (n − 1 over the publish span); null when all came at once. */
  readonly ratePerUs: number | null;
  readonly utilisation: number | null;
}

/** One busy period's figures; `members` are its messages as positions in `o.order`. */
function judge(
  m: Messages,
  o: MessageOrder,
  replicas: number,
  window: WindowFigures,
  members: Int32Array,
  span: { fromUs: number; lastPublishUs: number; toUs: number },
): Judged {
  const size = members.length;
  const positions = new Float64Array(size);
  const waits = new Float64Array(size);
  const groups = new Int32Array(size);
  let groupCount = 0;
  let serviceSum = 0;
  let waitSum = 0;
  let longest = 0;
  for (let j = 0; j < size; j++) {
    const k = members[j]!;
    const i = o.order[k]!;
    const newGroup = j === 0 || o.group[k] !== o.group[members[j - 1]!];
    if (newGroup) groupCount++;
    groups[j] = groupCount - 1;
    positions[j] = newGroup ? 1 : positions[j - 1]! + 1;
    waits[j] = m.waitUs[i]!;
    serviceSum += m.endUs[i]! - m.startUs[i]!;
    waitSum += waits[j]!;
    if (waits[j]! > waits[longest]!) longest = j;
  }
  const serviceMean = serviceSum / size;
  const arrivalSpan = span.lastPublishUs - span.fromUs;
  const interval = arrivalSpan / (size - 1);
  const utilisation = arrivalSpan > 0 ? serviceMean / (interval * replicas) : null;
  const fit = groupedFit(positions, waits, groups, groupCount);
  const maxWait = waits[longest]!;
  // How many clusters this dense (the first message and size − 1 more within its arrival
  // span) a stream at the window's mean rate would give by chance: the expected count over
  // the window's messages, each a possible start.
  const chance =
    window.ratePerUs === null
      ? 0
      : Math.min(
          window.messages,
          window.messages * poissonTail(window.ratePerUs * arrivalSpan, size - 1),
        );
  // Arrivals beyond the consumer: over the window, or in a burst that chance does not explain.
  const overloaded = window.utilisation === null || window.utilisation > 1 || chance < CHANCE;
  const saturated =
    size >= MIN_PERIOD_MESSAGES &&
    (utilisation === null || utilisation > 1) &&
    overloaded &&
    fit.slope >= MIN_GROWTH_US &&
    fit.r >= MIN_GROWTH_R &&
    maxWait >= serviceMean;
  return {
    fromUs: span.fromUs,
    toUs: span.toUs,
    messages: size,
    arrivalIntervalUs: Math.round(interval),
    serviceTimeMeanUs: Math.round(serviceMean),
    utilisation: utilisation === null ? null : round(utilisation, 3),
    growth: { slopeUsPerRank: round(fit.slope, 0), r: round(fit.r, 3) },
    wait: { meanUs: Math.round(waitSum / size), maxUs: maxWait },
    chance: chance === 0 ? 0 : Number(chance.toPrecision(3)),
    named: [
      members[0]!,
      positions[0]!,
      members[size - 1]!,
      positions[size - 1]!,
      members[longest]!,
      positions[longest]!,
    ],
    saturated,
  };
}

/** A consumer's utilisation inside its worst busy period, else over the window. */
export function busiestUtilisation(c: ConsumerStats): number | null {
  return c.busyPeriods.worst ? c.busyPeriods.worst.utilisation : c.utilisation;
}
