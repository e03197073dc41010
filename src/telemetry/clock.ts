import type { HrTime } from '@opentelemetry/api';

/**
 * The one clock every span time and queue wait comes from: the process's monotonic clock
 * (`performance.now()`, sub-microsecond) anchored once to wall time by `performance.timeOrigin`
 * (the wall clock in microseconds when the process started, read beside the monotonic clock's
 * zero). Unlike `Date.now()` it has no whole-millisecond steps, and unlike the wall clock it
 * never jumps back, so durations stay exact; two processes on one machine agree to a few
 * microseconds (docs/performance.md, "Span clocks", measures both).
 *
 * The anchor is read once: a machine that sleeps (the monotonic clock stops) or has its wall
 * clock set while the lab runs leaves processes started before and after it apart by that much;
 * `tracelab up` starts them together.
 */

const ORIGIN_MS = performance.timeOrigin;
const ORIGIN_S = Math.floor(ORIGIN_MS / 1000);
/** The anchor's sub-second part, in nanoseconds (whole: timeOrigin has microseconds). */
const ORIGIN_NS = Math.round((ORIGIN_MS - ORIGIN_S * 1000) * 1e6);

/**
 * Wall time of a `performance.now()` reading, as OpenTelemetry's [seconds, nanoseconds]: the
 * seconds and the nanoseconds are added apart, so nothing is lost to a double's 53 bits.
 */
export function hrTimeAt(performanceMs: number): HrTime {
  const s = Math.floor(performanceMs / 1000);
  let ns = ORIGIN_NS + Math.round((performanceMs - s * 1000) * 1e6);
  let seconds = ORIGIN_S + s;
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

/** The `performance.now()` reading of a wall time on this clock: where a given time sits on it. */
export function performanceMsOf(t: HrTime): number {
  return (t[0] - ORIGIN_S) * 1000 + (t[1] - ORIGIN_NS) / 1e6;
}
