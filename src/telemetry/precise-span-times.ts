import type { HrTime } from '@opentelemetry/api';
import type { Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { clockAnchor, hrTimeAt, performanceMsOf } from './clock.js';

/**
 * The SDK span's own clock fields (@opentelemetry/sdk-trace 2.12, pinned by sdk-trace-base):
 * it reads `performance.now()` into `_performanceStartTime` when a span is made, but stamps the
 * start from `Date.now()` (whole milliseconds) and adds `_performanceOffset` (Date.now() minus
 * the anchored clock) to performance readings; an end or event without a time is the start
 * plus the monotonic time since, except when the caller gave the start, when it is
 * `Date.now()` again. test/clock.test.ts fails if a new SDK changes this.
 */
interface SdkSpanClock {
  startTime: HrTime;
  _performanceStartTime: number;
  _performanceOffset: number;
  _startTimeProvided: boolean;
}

/**
 * Puts every span on the anchored monotonic clock (./clock.ts) as it starts, whoever made it
 * (the lab's own spans and the undici and pg instrumentations' alike):
 *
 * - a span started without a time starts at the monotonic reading the SDK took as it made it,
 *   anchored, instead of at `Date.now()`: sub-millisecond, and no extra clock read;
 * - a span started at a given time keeps it, and its end and events are counted from it on the
 *   monotonic clock instead of read from `Date.now()`;
 * - performance timestamps passed as times are anchored without the `Date.now()` correction.
 *
 * Ends and events are then the start plus monotonic time, so durations are as exact as the
 * SDK makes them. A processor, not a wrapped tracer: it sees every span of the provider, costs
 * no object per span, and leaves the API's spans and the active context untouched. It must come
 * before processors that read start times in `onStart` (none of the lab's do).
 */
export class PreciseSpanTimes implements SpanProcessor {
  constructor() {
    // Anchor the clock as the SDK starts, not in the first request it traces.
    clockAnchor();
  }

  onStart(span: Span): void {
    const s = span as unknown as SdkSpanClock;
    if (s._startTimeProvided) {
      s._performanceStartTime = performanceMsOf(s.startTime);
      s._startTimeProvided = false;
    } else {
      s.startTime = hrTimeAt(s._performanceStartTime);
    }
    s._performanceOffset = 0;
  }

  onEnd(): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
