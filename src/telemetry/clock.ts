import type { HrTime } from '@opentelemetry/api';

/**
 * The one clock every span time and queue wait comes from: the process's monotonic clock
 * (`performance.now()`, sub-microsecond) anchored once to wall time. Unlike `Date.now()` it
 * has no whole-millisecond steps, and unlike the wall clock it never jumps back, so durations
 * stay exact.
 *
 * The anchor is the wall time at `performance.now()` = 0, read where `Date.now()` ticks to
 * its next millisecond: at that instant the wall time is that whole millisecond, so the
 * anchor is good to the fraction of a microsecond it takes to see the tick (the best of
 * several ticks, in case the process was descheduled at one). `performance.timeOrigin` would
 * cost nothing, but Node reads it at process start from two clocks in turn, and on a busy
 * machine two processes' origins were measured up to 70 µs apart (docs/performance.md, "Span
 * clocks").
 *
 * The anchor is read once, at the first reading (PreciseSpanTimes reads it as the SDK
 * starts): a machine that sleeps (the monotonic clock
 * stops) or has its wall clock set while the lab runs leaves processes started before and
 * after it apart by that much; `tracelab up` starts them together.
 */

/**
 * The anchor is read at ticks of `Date.now()` until the three best readings agree to
 * `ANCHOR_AGREE_MS`, or `ANCHOR_MAX_TICKS` have passed (a busy machine). The first ticks are
 * microseconds late while the calls are still cold: it takes 10–20 ms, once.
 */
const ANCHOR_AGREE_MS = 0.0005;
const ANCHOR_MAX_TICKS = 50;

interface Anchor {
  /** Wall time at `performance.now()` = 0: whole seconds, and nanoseconds beyond them. */
  readonly s: number;
  readonly ns: number;
}

let anchor: Anchor | undefined;

/** Wall time minus monotonic time, in ms, at the `Date.now()` tick seen soonest. */
function readAnchorMs(): number {
  const best = [-Infinity, -Infinity, -Infinity];
  let last = Date.now();
  for (let tick = 0; tick < ANCHOR_MAX_TICKS;) {
    const wall = Date.now();
    // Read after the wall clock, so never earlier than its tick: at most late, by the time
    // it took to see it (milliseconds, when the process is descheduled). The largest reading
    // is the closest.
    const reading = wall - performance.now();
    if (wall === last) continue;
    last = wall;
    tick++;
    if (reading <= best[2]!) continue;
    best[2] = reading;
    best.sort((x, y) => y - x);
    if (best[0]! - best[2] < ANCHOR_AGREE_MS) break;
  }
  return best[0]!;
}

/** The clock's anchor, read at the first call. */
export function clockAnchor(): Anchor {
  if (anchor === undefined) {
    const ms = readAnchorMs();
    const s = Math.floor(ms / 1000);
    const ns = Math.round((ms - s * 1000) * 1e6);
    anchor = ns < 1e9 ? { s, ns } : { s: s + 1, ns: ns - 1e9 };
  }
  return anchor;
}

/**
 * Wall time of a `performance.now()` reading, as OpenTelemetry's [seconds, nanoseconds]: the
 * seconds and the nanoseconds are added apart, so nothing is lost to a double's 53 bits.
 */
export function hrTimeAt(performanceMs: number): HrTime {
  const origin = anchor ?? clockAnchor();
  const s = Math.floor(performanceMs / 1000);
  let ns = origin.ns + Math.round((performanceMs - s * 1000) * 1e6);
  let seconds = origin.s + s;
  if (ns >= 1e9) {
    ns -= 1e9;
    seconds++;
  }
  return [seconds, ns];
}

/** Now, on the anchored clock. */
export function clockNow(): HrTime {
  return hrTimeAt(performance.now());
}

/** Microseconds since the epoch (a double keeps a quarter of a microsecond at today's dates). */
export function hrTimeToMicros(t: HrTime): number {
  return t[0] * 1e6 + t[1] / 1000;
}

/** `a − b` in microseconds, exact to the nanosecond (seconds and nanoseconds apart). */
export function hrTimeDiffUs(a: HrTime, b: HrTime): number {
  return (a[0] - b[0]) * 1e6 + (a[1] - b[1]) / 1000;
}

/** The `performance.now()` reading of a wall time on this clock: where a given time sits on it. */
export function performanceMsOf(t: HrTime): number {
  const origin = anchor ?? clockAnchor();
  return (t[0] - origin.s) * 1000 + (t[1] - origin.ns) / 1e6;
}
