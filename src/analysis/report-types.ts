import type { Distribution } from './stats.js';
import type {
  AnalysisWarning,
  ChangeRow,
  CriticalPathKind,
  CriticalPathSegment,
  Microseconds,
} from './types.js';

export interface AnalyzeOptions {
  /** Only this service's stages, hops, consumers and resources (traces are still whole). */
  readonly service?: string;
  /**
   * Services every order trace should reach; default: every service seen in an order trace of
   * the set, so a trace missing one that the others have stands out.
   */
  readonly expectedServices?: readonly string[];
  /** Up to how many traces keep their critical path segments in the report (default 200). */
  readonly keepPathsUpTo?: number;
  /** Up to how many points of wait-versus-arrival each hop keeps (default 2000, evenly picked). */
  readonly maxArrivalPoints?: number;
}

export type Severity = 'critical' | 'warning' | 'info';

/** One thing the analysis found, in words a learner understands, with the numbers behind it. */
export interface Finding {
  readonly severity: Severity;
  /** What the finding is about, to sort and filter by: bottleneck, queue-growth, … */
  readonly kind: FindingKind;
  readonly service?: string;
  readonly text: string;
  readonly figures: Readonly<Record<string, number | string | boolean | null>>;
}

export type FindingKind =
  | 'bottleneck'
  | 'queue-growth'
  | 'critical-path'
  | 'resources'
  | 'intensity'
  | 'propagation'
  | 'partial-traces'
  | 'no-data'
  | 'compare';

/** Per service and stage (operation name). */
export interface StageStats {
  readonly service: string;
  readonly operation: string;
  readonly duration: Distribution;
}

/** One message's wait, placed by when it was published among the hop's messages. */
export interface ArrivalPoint {
  /** 1 for the first message published on the hop in the set. */
  readonly rank: number;
  readonly traceID: string;
  readonly orderId?: string;
  readonly publishedUs: Microseconds;
  readonly waitUs: Microseconds;
}

/** Queue wait on one hop (topic, from a producer service to a consumer service). */
export interface HopStats {
  readonly topic: string;
  readonly fromService: string;
  readonly toService: string;
  readonly wait: Distribution;
  /**
   * Head-of-line blocking: how the wait grows with arrival order. slopeUsPerRank is the
   * least-squares slope of wait against arrival rank; r its correlation; growing when r ≥ 0.5
   * and the slope is at least 1 ms per message, over at least 3 messages.
   */
  readonly growth: {
    readonly slopeUsPerRank: number;
    readonly r: number;
    readonly growing: boolean;
    readonly first: ArrivalPoint | null;
    readonly last: ArrivalPoint | null;
    readonly longest: ArrivalPoint | null;
  };
  /** Wait by arrival order, all points or an even pick of maxArrivalPoints. */
  readonly byArrival: readonly ArrivalPoint[];
  readonly byArrivalSampled: boolean;
}

export type ConsumerVerdict = 'saturated' | 'keeping up' | 'unknown';

/**
 * A consumer service on one topic as a queue: messages arrive every arrivalInterval and take
 * serviceTime each on one of `instances` replicas; utilisation = serviceTime mean /
 * (arrivalInterval mean × instances). Saturated when above 1: the service time exceeds the
 * time between arrivals (per instance), so the queue grows.
 */
export interface ConsumerStats {
  readonly service: string;
  readonly topic: string;
  readonly messages: number;
  /** Replicas seen handling the topic (distinct service.instance.id). */
  readonly instances: number;
  /** Mean time between consecutive publishes on the topic; null with fewer than 2 messages. */
  readonly arrivalIntervalUs: Microseconds | null;
  /** The consumer span's duration (`process <topic>`): the time one message holds a consumer. */
  readonly serviceTime: Distribution;
  /** null when it cannot be told (fewer than 2 messages); Infinity is written as null too. */
  readonly utilisation: number | null;
  readonly verdict: ConsumerVerdict;
  /** The verdict in words with its figures. */
  readonly reason: string;
}

/** The critical path of one trace and what took most of it. */
export interface TraceCriticalPath {
  readonly traceID: string;
  readonly orderId?: string;
  readonly durationUs: Microseconds;
  readonly dominant: PathStageKey & { readonly us: Microseconds; readonly share: number };
  /** Kept for up to keepPathsUpTo traces, else empty. */
  readonly segments: readonly CriticalPathSegment[];
}

export interface PathStageKey {
  readonly service: string;
  /** The span's operation, or for a queue segment `queue <topic>`. */
  readonly operation: string;
  readonly kind: CriticalPathKind;
}

/** How often a stage was the largest part of a trace's critical path, and its time there. */
export interface PathStageStats extends PathStageKey {
  /** Traces where it took the largest share of the critical path. */
  readonly dominatesTraces: number;
  /** Its time on critical paths over all traces. */
  readonly totalUs: Microseconds;
  /** totalUs over the summed length of all critical paths, 0–1. */
  readonly share: number;
}

/** Resource figures of workload spans (resource.* attributes) for one operation or intensity. */
export interface ResourceStats {
  readonly key: string;
  readonly count: number;
  readonly duration: Distribution;
  /**
   * Spans with CPU figures. The others were too short to measure (`resource.cpu.measured`
   * false, no `resource.cpu.*`): they count in durations and memory, never in CPU.
   */
  readonly cpuSpans: number;
  /** Mean of resource.cpu.avg over the spans with CPU figures, % of one core. */
  readonly cpuAvg: number | null;
  /** Highest resource.cpu.max. */
  readonly cpuMax: number | null;
  readonly memoryAvgMb: number | null;
  readonly memoryMaxMb: number | null;
  /** Share of spans with resource.cpu_bound true, 0–1. */
  readonly cpuBoundShare: number | null;
}

export interface PropagationReport {
  /** Traces that carry an order id (order traces; GET /order polls are not). */
  readonly orderTraces: number;
  /** Orders whose spans are spread over several traces: context was lost on the way. */
  readonly splitOrders: ReadonlyArray<{
    readonly orderId: string;
    readonly traceIDs: readonly string[];
  }>;
  readonly orphanSpans: number;
  /** Order traces missing services that others reach (broken, or still in flight). */
  readonly missingServices: ReadonlyArray<{
    readonly traceID: string;
    readonly orderId?: string;
    readonly missing: readonly string[];
  }>;
  readonly expectedServices: readonly string[];
}

export interface AnalysisReport {
  /** Format version, so a saved --json result can be checked before comparing. */
  readonly version: 1;
  readonly traces: {
    readonly count: number;
    readonly spans: number;
    readonly fromUs: Microseconds;
    readonly toUs: Microseconds;
    /** Root start to last end of order traces. */
    readonly endToEnd: Distribution;
  };
  readonly service?: string;
  /** The one finding to read first. */
  readonly headline: Finding;
  /** Every finding, most severe first; the headline is the first. */
  readonly findings: readonly Finding[];
  readonly stages: readonly StageStats[];
  readonly hops: readonly HopStats[];
  readonly consumers: readonly ConsumerStats[];
  /** Over order traces when the set has any, else over all traces. */
  readonly criticalPath: {
    readonly byStage: readonly PathStageStats[];
    readonly traces: readonly TraceCriticalPath[];
  };
  readonly resources: {
    readonly byOperation: readonly ResourceStats[];
    readonly byIntensity: readonly ResourceStats[];
  };
  readonly propagation: PropagationReport;
  readonly warnings: {
    readonly total: number;
    readonly byCode: Readonly<Record<string, number>>;
    /** The first 50. */
    readonly samples: readonly AnalysisWarning[];
  };
}

export type ChangeVerdict = 'faster' | 'slower' | 'same' | 'only in base' | 'only in next';

export interface StageChange {
  readonly service: string;
  readonly operation: string;
  readonly baseP50Us: Microseconds | null;
  readonly nextP50Us: Microseconds | null;
  readonly deltaUs: Microseconds | null;
  readonly deltaPct: number | null;
  readonly verdict: ChangeVerdict;
}

export interface HopChange {
  readonly topic: string;
  readonly toService: string;
  readonly baseMeanUs: Microseconds | null;
  readonly nextMeanUs: Microseconds | null;
  readonly deltaUs: Microseconds | null;
  readonly deltaPct: number | null;
  readonly verdict: ChangeVerdict;
}

/** `analyze --compare`: what got faster or slower from a base report to the next. */
export interface ReportComparison {
  readonly headline: Finding;
  readonly endToEnd: {
    readonly baseP50Us: Microseconds;
    readonly nextP50Us: Microseconds;
    readonly deltaUs: Microseconds;
    readonly deltaPct: number | null;
  };
  /**
   * Mean time a trace spent on the critical path per stage and queue, base against next: the
   * largest change first (what the headline leads with).
   */
  readonly pathChanges: readonly ChangeRow[];
  readonly stages: readonly StageChange[];
  readonly hops: readonly HopChange[];
  readonly consumers: ReadonlyArray<{
    readonly service: string;
    readonly topic: string;
    readonly baseUtilisation: number | null;
    readonly nextUtilisation: number | null;
    readonly baseVerdict: ConsumerVerdict | null;
    readonly nextVerdict: ConsumerVerdict | null;
  }>;
}
