import { build } from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

/** Percentiles of a latency distribution, ms. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/**
 * A latency recorder in microseconds, three significant digits, up to an hour: an HDR
 * histogram, so percentiles stay exact to 0.1 % whatever the count, in fixed memory.
 */
export class LatencyRecorder {
  private readonly h: Histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });

  recordMs(ms: number): void {
    this.h.recordValue(Math.min(3_600_000_000, Math.max(1, Math.round(ms * 1000))));
  }

  get count(): number {
    return this.h.totalCount;
  }

  summary(): LatencySummary {
    // A percentile reads the top of its bucket, which can lie just above the largest value.
    const at = (p: number) =>
      this.h.totalCount ? Math.min(this.h.getValueAtPercentile(p), this.h.maxValue) / 1000 : 0;
    return {
      count: this.h.totalCount,
      p50: at(50),
      p90: at(90),
      p99: at(99),
      p999: at(99.9),
      max: this.h.totalCount ? this.h.maxValue / 1000 : 0,
    };
  }
}
