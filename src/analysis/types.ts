/**
 * Public types of the trace analysis. Everything here is plain data: it crosses into the web
 * UI and into `tracelab analyze --json`, so no classes, no Maps.
 */

/** Microseconds, as Jaeger's JSON counts span times (since the epoch) and durations. */
export type Microseconds = number;

export type WarningCode =
  | 'empty-trace'
  | 'duplicate-span-id'
  | 'missing-parent'
  | 'reference-cycle'
  | 'no-root'
  | 'several-roots'
  | 'negative-duration'
  | 'clock-skew'
  | 'critical-path-gap'
  | 'no-bus-order'
  | 'mixed-trace-ids';

/** Something odd about the input that the result works around instead of throwing. */
export interface AnalysisWarning {
  readonly code: WarningCode;
  readonly traceID: string;
  readonly spanID?: string;
  readonly message: string;
}

/** A result list that also says what was odd about the trace it came from. */
export type WithWarnings<T> = T[] & { readonly warnings: readonly AnalysisWarning[] };

/** One messaging hop: a `send <topic>` PRODUCER span and the `process <topic>` CONSUMER span under it. */
export interface QueueWait {
  readonly traceID: string;
  readonly topic: string;
  readonly producerSpanID: string;
  readonly consumerSpanID: string;
  readonly fromService: string;
  readonly toService: string;
  /** When the message was published: the producer span's end. */
  readonly publishedUs: Microseconds;
  /** When its handling began: the consumer span's start. */
  readonly consumedUs: Microseconds;
  /** consumedUs − publishedUs, at least 0. */
  readonly waitUs: Microseconds;
  /**
   * The negative wait clamped to 0, if any: the consumer started that long before the producer
   * span ended (normal: the message is readable before the sender hears back from the broker),
   * or, if it started before the producer span began, clock skew (with a warning).
   */
  readonly clampedUs: Microseconds;
}

export type CriticalPathKind = 'span' | 'queue';

/**
 * One stretch of the critical path. `span`: the span's own work (no child of it was on the
 * path then). `queue`: the message waited in `topic` between its producer's end and its
 * consumer's start; spanID and serviceName are the consumer's.
 */
export interface CriticalPathSegment {
  readonly spanID: string;
  readonly serviceName: string;
  readonly operationName: string;
  readonly startUs: Microseconds;
  readonly endUs: Microseconds;
  readonly kind: CriticalPathKind;
  readonly topic?: string;
}

/** A span's figures within one trace, summed over its spans with the same service and operation. */
export interface StageFigures {
  readonly count: number;
  readonly durationUs: Microseconds;
}

export interface StageComparison {
  readonly service: string;
  readonly operation: string;
  readonly a: StageFigures | null;
  readonly b: StageFigures | null;
  /** b − a; null when the stage is only in one trace. */
  readonly deltaUs: Microseconds | null;
  /** (b − a) / a × 100; null when only in one trace or a is 0. */
  readonly deltaPct: number | null;
}

export interface QueueComparison {
  readonly topic: string;
  readonly aUs: Microseconds | null;
  readonly bUs: Microseconds | null;
  readonly deltaUs: Microseconds | null;
  readonly deltaPct: number | null;
}

export interface StageKey {
  readonly service: string;
  readonly operation: string;
}

export type RowVerdict = 'faster' | 'slower' | 'same' | 'only in A' | 'only in B';

/**
 * How a row is coloured: `worse` made the critical path longer, `better` shortened it (the only
 * green), `neutral` changed nothing on the path or too little to tell, `only` is in one side.
 */
export type ChangeTone = 'worse' | 'better' | 'neutral' | 'only';

/**
 * One stage or queue in a comparison: its time in A and B, its time on each side's critical
 * path, the change as a figure a reader takes in, and how to colour it.
 */
export interface ChangeRow {
  /** `span`: a stage (service and operation); `queue`: waiting in `topic` for `service`. */
  readonly kind: CriticalPathKind;
  readonly service: string;
  /** The span's operation, or for a queue `queue <topic>`. */
  readonly operation: string;
  readonly topic?: string;
  readonly aUs: Microseconds | null;
  readonly bUs: Microseconds | null;
  readonly deltaUs: Microseconds | null;
  readonly deltaPct: number | null;
  /** "+11 s (×1,250)", "−1.2 s (−35 %)", "+11 s", or the verdict when only in one. */
  readonly change: string;
  readonly pathAUs: Microseconds;
  readonly pathBUs: Microseconds;
  readonly pathDeltaUs: Microseconds;
  /** Its own time is on either side's critical path. */
  readonly onPath: boolean;
  /** Not on the path itself, but its spans hold what is (a container, such as the root). */
  readonly viaChildren: boolean;
  readonly verdict: RowVerdict;
  readonly tone: ChangeTone;
}

export interface TraceComparison {
  readonly a: { readonly traceID: string; readonly durationUs: Microseconds };
  readonly b: { readonly traceID: string; readonly durationUs: Microseconds };
  readonly durationDeltaUs: Microseconds;
  readonly durationDeltaPct: number | null;
  /** Every stage in either trace, by service then first start. */
  readonly stages: readonly StageComparison[];
  /** Queue wait per topic, summed over the trace's hops on it. */
  readonly queues: readonly QueueComparison[];
  /**
   * Stages and queue waits in one list, the largest change of time on the critical path first,
   * then the largest change off it.
   */
  readonly changes: readonly ChangeRow[];
  readonly onlyInA: readonly StageKey[];
  readonly onlyInB: readonly StageKey[];
  readonly warnings: readonly AnalysisWarning[];
}
