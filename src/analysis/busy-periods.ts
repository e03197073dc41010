import type { MessageOrder, Messages } from './bus-order.js';
import { orderBy } from './bus-order.js';
import type { ArrivalPoint, BusyPeriod, PeriodPoint } from './report-types.js';
import { groupedFit } from './stats.js';

/** Waits growing by less than this per message are scheduling noise, not a queue building up. */
export const MIN_GROWTH_US = 1000;
/** Fewer messages show no trend: two can be one slow message and the one behind it. */
const MIN_PERIOD_MESSAGES = 3;
const MIN_GROWTH_R = 0.5;

/** The busy periods of one queue, counted, and the worst of them. */
export interface BusyPeriods {
  readonly count: number;
  readonly overlapping: number;
  readonly saturated: number;
  readonly worst: BusyPeriod | null;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
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
  let worst: BusyPeriod | null = null;
  let worstKey = -Infinity;
  for (let p = 0; p < count; p++) {
    const from = start[p]!;
    const size = start[p + 1]! - from;
    if (size < 2) continue;
    overlapping++;
    const period = judge(m, o, replicas, members.subarray(from, from + size), point, {
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
  return { count, overlapping, saturated: saturatedCount, worst };
}

/** One busy period's figures; `members` are its messages as positions in `o.order`. */
function judge(
  m: Messages,
  o: MessageOrder,
  replicas: number,
  members: Int32Array,
  point: (k: number) => ArrivalPoint,
  span: { fromUs: number; lastPublishUs: number; toUs: number },
): BusyPeriod {
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
  const saturated =
    size >= MIN_PERIOD_MESSAGES &&
    (utilisation === null || utilisation > 1) &&
    fit.slope >= MIN_GROWTH_US &&
    fit.r >= MIN_GROWTH_R &&
    maxWait >= serviceMean;
  const at = (j: number): PeriodPoint => ({ ...point(members[j]!), position: positions[j]! });
  return {
    fromUs: span.fromUs,
    toUs: span.toUs,
    messages: size,
    arrivalIntervalUs: Math.round(interval),
    serviceTimeMeanUs: Math.round(serviceMean),
    utilisation: utilisation === null ? null : round(utilisation, 3),
    growth: { slopeUsPerRank: round(fit.slope, 0), r: round(fit.r, 3) },
    wait: { meanUs: Math.round(waitSum / size), maxUs: maxWait },
    first: at(0),
    last: at(size - 1),
    longest: at(longest),
    saturated,
  };
}
