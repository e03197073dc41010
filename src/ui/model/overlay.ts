/**
 * What the waterfall draws over the spans: the queue waits between a `send <topic>` span and its
 * `process <topic>` span, and the critical path. Computed by the analysis module; this file only
 * arranges its results by span for drawing.
 */

/** A message's wait in a topic, drawn on its consumer span's row. */
export interface QueueGap {
  readonly topic: string;
  readonly producerSpanID: string;
  readonly consumerSpanID: string;
  readonly fromUs: number;
  readonly toUs: number;
  readonly waitUs: number;
}

/** A stretch of the critical path: a span's own work, or a wait in a queue before it. */
export interface CriticalStretch {
  readonly spanID: string;
  readonly startUs: number;
  readonly endUs: number;
  readonly queue: boolean;
}

export interface TraceOverlay {
  /** Queue gaps by consumer span id. */
  readonly gapBySpan: ReadonlyMap<string, QueueGap>;
  /** Critical path stretches by span id. */
  readonly criticalBySpan: ReadonlyMap<string, readonly CriticalStretch[]>;
  readonly gaps: readonly QueueGap[];
  /** Total length of the critical path and how much of it is queue wait. */
  readonly criticalUs: number;
  readonly criticalQueueUs: number;
  readonly warnings: readonly string[];
}

export function arrangeOverlay(
  gaps: readonly QueueGap[],
  critical: readonly CriticalStretch[],
  warnings: readonly string[],
): TraceOverlay {
  const gapBySpan = new Map(gaps.map((g) => [g.consumerSpanID, g]));
  const criticalBySpan = new Map<string, CriticalStretch[]>();
  let criticalUs = 0;
  let criticalQueueUs = 0;
  for (const c of critical) {
    const list = criticalBySpan.get(c.spanID) ?? [];
    list.push(c);
    criticalBySpan.set(c.spanID, list);
    criticalUs += c.endUs - c.startUs;
    if (c.queue) criticalQueueUs += c.endUs - c.startUs;
  }
  return { gapBySpan, criticalBySpan, gaps, criticalUs, criticalQueueUs, warnings };
}
