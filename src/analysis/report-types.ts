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
  | 'no-bottleneck'
  | 'queue-growth'
  | 'critical-path'
  | 'resources'
  | 'intensity'
  | 'propagation'
  | 'partial-traces'
  | 'no-data'
  | 'compare'
  | 'n-plus-one'
  | 'pool-wait'
  | 'slow-statement'
  | 'lock-wait';

/** Per service and stage (operation name). */
export interface StageStats {
  readonly service: string;
  readonly operation: string;
  readonly duration: Distribution;
}

/**
 * One message's wait, placed by its order in the bus: a Redis stream's entry ids, a Kafka
 * partition's offsets (or, for spans that do not carry them, by publish time).
 */
export interface ArrivalPoint {
  /**
   * 1 for the first message of the hop in the set: in its stream, or in its Kafka partition
   * (each partition is ranked on its own: there is no order across partitions).
   */
  readonly rank: number;
  /** The Kafka partition, when the hop's messages came through more than one. */
  readonly partition?: string;
  readonly traceID: string;
  readonly orderId?: string;
  readonly publishedUs: Microseconds;
  readonly waitUs: Microseconds;
}

/**
 * How the messages of a hop or queue were ranked: `bus` by the bus's own order (stream entry
 * ids, or partition and offset); `publish-time` by their producer spans' ends, for spans that
 * do not carry the bus's ids (older traces, hand-made files), with a `no-bus-order` warning.
 */
export type MessageOrderSource = 'bus' | 'publish-time';

/** Queue wait on one hop (topic, from a producer service to a consumer service). */
export interface HopStats {
  readonly topic: string;
  readonly fromService: string;
  readonly toService: string;
  readonly wait: Distribution;
  readonly orderedBy: MessageOrderSource;
  /** Kafka partitions the messages came through (1 for a Redis stream). */
  readonly partitions: number;
  /**
   * How the wait grows with arrival order over the whole set (busy periods judge the queue:
   * see ConsumerStats.busyPeriods). slopeUsPerRank is the least-squares slope of wait against
   * rank (with several partitions, one slope fitted within each partition's ranks); r its
   * correlation; growing when r ≥ 0.5 and the slope is at least 1 ms per message, over at
   * least 3 messages.
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

/** A message of a busy period: its place in the hop (rank) and in the period (position). */
export interface PeriodPoint extends ArrivalPoint {
  /** 1 for the period's first message in bus order (within its partition). */
  readonly position: number;
}

/**
 * A busy period of a queue: from a message that arrived (was published) while no earlier one
 * was waiting or being handled, until the queue drained (the last of its messages was
 * handled). Its figures are the queue's figures inside it, where bursts are not averaged with
 * the quiet time between them.
 */
export interface BusyPeriod {
  /** The first publish of the period. */
  readonly fromUs: Microseconds;
  /** When it drained: the last consumer span's end. */
  readonly toUs: Microseconds;
  readonly messages: number;
  /** Mean time between its publishes: (last − first) / (messages − 1); null for one message. */
  readonly arrivalIntervalUs: Microseconds | null;
  readonly serviceTimeMeanUs: Microseconds;
  /**
   * serviceTimeMeanUs / (arrivalIntervalUs × replicas); null when it cannot be told (one
   * message) or is unbounded (all published at once).
   */
  readonly utilisation: number | null;
  /** Wait against position in the period, by bus order (fitted within each partition). */
  readonly growth: { readonly slopeUsPerRank: number; readonly r: number };
  readonly wait: { readonly meanUs: Microseconds; readonly maxUs: Microseconds };
  /**
   * How many clusters as dense as this one (its messages within its arrival span) random
   * arrivals at the window's mean rate would give over the window, by chance: small (under
   * 0.01) for a burst, about 1 or more for the clustering of an ordinary random stream.
   */
  readonly chance: number;
  readonly first: PeriodPoint;
  readonly last: PeriodPoint;
  readonly longest: PeriodPoint;
  /**
   * The consumer fell behind: at least 3 messages, more work arriving than the replicas handle
   * (utilisation above 1, or all at once), either over the whole window or in a burst chance
   * does not explain (chance under 0.01), the wait growing with bus order (r ≥ 0.5, at least
   * 1 ms a message) and the longest wait at least one mean service time.
   */
  readonly saturated: boolean;
}

/**
 * A consumer service on one topic as a queue (its consumer group). Over the whole window:
 * messages arrive every arrivalInterval and take serviceTime each on one of `instances`
 * replicas; utilisation = serviceTime mean / (arrivalInterval mean × instances). The verdict is
 * judged inside each busy period, not over the window: two bursts minutes apart average to a
 * low window utilisation while each of them queues.
 */
export interface ConsumerStats {
  readonly service: string;
  readonly topic: string;
  readonly messages: number;
  /** Replicas seen handling the topic (distinct service.instance.id). */
  readonly instances: number;
  /** Mean time between consecutive publishes over the window; null with fewer than 2 messages. */
  readonly arrivalIntervalUs: Microseconds | null;
  /** The consumer span's duration (`process <topic>`): the time one message holds a consumer. */
  readonly serviceTime: Distribution;
  /**
   * Over the whole window; null when it cannot be told (fewer than 2 messages) or unbounded
   * (all at once).
   */
  readonly utilisation: number | null;
  readonly orderedBy: MessageOrderSource;
  readonly busyPeriods: {
    /** Busy periods in the window (a message that found the queue empty starts one). */
    readonly count: number;
    /** Those of at least two messages: where some message arrived while another was in. */
    readonly overlapping: number;
    readonly saturated: number;
    /** The saturated one with the longest wait; else the one of 2+ messages with the longest wait. */
    readonly worst: BusyPeriod | null;
  };
  /**
   * saturated: some busy period saturated. keeping up: none, with at least 3 messages (or 2
   * that did not overlap). unknown: too few messages to tell.
   */
  readonly verdict: ConsumerVerdict;
  /** The verdict in words with its figures. */
  readonly reason: string;
}

/**
 * The one bottleneck of a report, derived once (`bottleneckOf`) and read by the headline, the
 * findings, the web UI, the exercises and `analyze --json`: of the consumers saturated in
 * some busy period, the one whose queue takes most of the critical path.
 */
export interface Bottleneck {
  readonly service: string;
  readonly topic: string;
  readonly instances: number;
  /** Its worst busy period, the saturated one with the longest wait. */
  readonly period: BusyPeriod;
  /** Busy periods of the consumer in the window, and how many of them saturated. */
  readonly busyPeriods: number;
  readonly saturatedPeriods: number;
  /** The consumer's utilisation over the whole window (what bursts average away). */
  readonly windowUtilisation: number | null;
  /** Waiting in its queue on the critical paths of the report's traces, if it is on them. */
  readonly criticalPath: {
    readonly dominatesTraces: number;
    readonly traces: number;
    readonly share: number;
  } | null;
  /** Other consumers saturated in some busy period, less on the critical path. */
  readonly alsoSaturated: ReadonlyArray<{ readonly service: string; readonly topic: string }>;
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

/** Where in a trace a figure comes from: a span to open. */
export interface SpanRef {
  readonly traceID: string;
  readonly spanID: string;
}

/**
 * One database statement as one service runs it: CLIENT spans with `db.system.name` (or the
 * older `db.system`), keyed by their parameterised `db.query.text` (else the span's name).
 */
export interface StatementStats {
  readonly service: string;
  /** `db.system.name`: postgresql, redis, … */
  readonly system: string;
  /** `db.operation.name`, else the statement's first word; '' when neither says. */
  readonly operation: string;
  /** The statement with its whitespace collapsed. */
  readonly statement: string;
  readonly duration: Distribution;
  readonly totalUs: Microseconds;
  /** Mean `db.response.returned_rows` over the calls that carry it; null when none does. */
  readonly rowsMean: number | null;
  /** Its longest call. */
  readonly slowest: SpanRef & { readonly durationUs: Microseconds };
}

/**
 * N+1: one statement run many times under one parent span (at least 5), where one statement
 * for all the rows would do. Over the statement's parents that ran it that often.
 */
export interface NPlusOne {
  readonly service: string;
  readonly system: string;
  readonly statement: string;
  /** The parent spans' operation (the most frequent, when they differ). */
  readonly parentOperation: string;
  /** Parents that ran it at least 5 times, and how many times on average. */
  readonly parents: number;
  readonly meanCount: number;
  /** The parent that ran it most: how often, its time in those calls, the parent's duration. */
  readonly worst: SpanRef & {
    readonly count: number;
    readonly totalUs: Microseconds;
    readonly parentUs: Microseconds;
  };
  /** Time in the repeated statement over all those parents, and the parents' time. */
  readonly totalUs: Microseconds;
  readonly parentsUs: Microseconds;
}

/**
 * Waiting for a pooled connection: the pool's connect spans (`pg-pool.connect`, any
 * `….pool.connect`) less the new connections made inside them (their child spans), against the
 * time of the calls (their parent spans) that asked for a connection.
 */
export interface PoolWait {
  readonly service: string;
  /** The connect span's name. */
  readonly operation: string;
  readonly connects: number;
  /** Connects that opened a new connection (a child span) instead of waiting for one. */
  readonly newConnections: number;
  readonly wait: Distribution;
  readonly totalWaitUs: Microseconds;
  /** The calls that asked: their operation (the most frequent), count and summed duration. */
  readonly callOperation: string;
  readonly calls: number;
  readonly callsUs: Microseconds;
  /** totalWaitUs / callsUs, 0–1. */
  readonly share: number;
  readonly worst: SpanRef & { readonly waitUs: Microseconds };
}

/**
 * A statement far slower than the others of its service and database (`slower-than-others`:
 * its p50 at least 10× theirs, and 1 ms at least), or than its own usual time
 * (`slower-than-usual`: at least 3 of its calls, and 5 % of them, took 10× its p50 and 10 ms
 * or more, a share at least 3× the share of the other statements' calls as slow to their own
 * p50: a stall of the machine slows them all alike).
 */
export interface SlowStatement {
  readonly service: string;
  readonly system: string;
  readonly operation: string;
  readonly statement: string;
  readonly kind: 'slower-than-others' | 'slower-than-usual';
  readonly count: number;
  readonly p50Us: Microseconds;
  readonly p99Us: Microseconds;
  /** The median of the other statements' p50s; null when it is the only one. */
  readonly othersP50Us: Microseconds | null;
  /** Its calls that took slowThresholdUs or more: 10× its p50, and 10 ms at least. */
  readonly slowCalls: number;
  readonly slowThresholdUs: Microseconds;
  readonly slowest: SpanRef & { readonly durationUs: Microseconds };
}

/**
 * Lock waits: executions of one row-locking statement (UPDATE, DELETE, SELECT … FOR UPDATE)
 * that waited 2 ms or more and ended as another transaction that had run it ended, queued at
 * least three deep: each waits for the row lock the one before holds until its transaction ends.
 */
export interface LockWait {
  readonly service: string;
  readonly system: string;
  readonly operation: string;
  readonly statement: string;
  readonly executions: number;
  /** Executions that overlapped another of the same statement. */
  readonly overlapping: number;
  /** Executions let go by another transaction's end after waiting for it. */
  readonly stretched: number;
  /**
   * p50 of the executions that overlapped none, else of the time the waiting ones took once
   * let go.
   */
  readonly aloneP50Us: Microseconds;
  /** p50 of the waiting executions' time. */
  readonly stretchedP50Us: Microseconds;
  /** The waiting executions' time from their start to the end that let them go, summed. */
  readonly totalWaitUs: Microseconds;
  /** Most executions of it in flight at once. */
  readonly maxInFlight: number;
  readonly slowest: SpanRef & { readonly durationUs: Microseconds };
}

/** Database calls and what is wrong with them. */
export interface DatabaseReport {
  /** Every statement, the most time in all first. */
  readonly statements: readonly StatementStats[];
  readonly nPlusOne: readonly NPlusOne[];
  readonly poolWaits: readonly PoolWait[];
  readonly slowStatements: readonly SlowStatement[];
  readonly lockWaits: readonly LockWait[];
}

export interface PropagationReport {
  /** Traces that carry an order id (order traces; GET /order polls are not). */
  readonly orderTraces: number;
  /** Orders whose spans are spread over several traces: context was lost on the way. */
  readonly splitOrders: ReadonlyArray<{
    readonly orderId: string;
    readonly traceIDs: readonly string[];
  }>;
  /**
   * Where split orders lost their context: from the last service of one of an order's traces
   * to the first service of its next trace (in start order), with how many orders broke there.
   */
  readonly brokenHops: ReadonlyArray<{
    readonly from: string;
    readonly to: string;
    readonly orders: number;
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
  /** The bottleneck every view names; null when no consumer saturated in a busy period. */
  readonly bottleneck: Bottleneck | null;
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
  /** Database statements (CLIENT spans with a database system), N+1, pool and lock waits. */
  readonly database: DatabaseReport;
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
    /** Utilisation inside the worst busy period (else over the window), as the verdict judges it. */
    readonly baseUtilisation: number | null;
    readonly nextUtilisation: number | null;
    readonly baseVerdict: ConsumerVerdict | null;
    readonly nextVerdict: ConsumerVerdict | null;
  }>;
}
