import type { AnalysisReport } from '../analysis/index.js';
import { SERVICES } from '../model/index.js';
import type { ServiceKind } from '../model/index.js';
import type { CauseId } from './causes.js';
import { serviceOf } from './grade.js';
import type { ServiceSignals, TraceSignals } from './signals.js';

/** The analyser's diagnosis in the scenarios' words, and the rule that gave it. */
export interface AnalyserAnswer {
  readonly service: ServiceKind | null;
  readonly cause: CauseId | null;
  readonly because: string;
}

/** Memory a service kept over one scenario's orders before it counts as growth, not noise. */
export const MEMORY_GROWTH_MB = 40;
/** Messages handled per order, first deliveries only, above which copies were published. */
const COPIES_PER_ORDER = 1.5;

/** A bottleneck's queue this many times its work on the critical paths: head-of-line blocking. */
const QUEUE_OVER_WORK = 2.5;
/** A stage span's own time (outside its workload spans) on the critical paths above which it waits on something else. */
const OUTSIDE_WORK_SHARE = 0.1;

/**
 * The stage span (a service's handling of an order) whose own time, outside the workload spans
 * under it, takes the most of the critical paths, when that is a real part of them: the stage
 * waits on something that is not its work.
 */
function outsideWork(report: AnalysisReport) {
  const stages = new Set(Object.values(SERVICES).map((d) => d.stageSpan));
  const top = report.criticalPath.byStage
    .filter((s) => s.kind === 'span' && stages.has(s.operation) && serviceOf(s.service))
    .sort((a, b) => b.share - a.share)[0];
  return top && top.share >= OUTSIDE_WORK_SHARE ? top : undefined;
}

/** Memory kept per workload span, over what one span's work moves, above which it is kept for good. */
const KEPT_OVER_SWING = 2;

/**
 * Memory kept for good: it grew by a real amount, and each span kept far more than its own
 * work moves (work that allocates gives it back; a heavy workload warming up grows by about
 * its swing per span, a leak by many times it).
 */
function isLeak(s: ServiceSignals): boolean {
  if (s.memoryGrowthMb === null || s.memoryGrowthMb < MEMORY_GROWTH_MB) return false;
  const keptPerSpan = s.memoryGrowthMb / Math.max(1, s.memorySpans - 1);
  return keptPerSpan >= KEPT_OVER_SWING * Math.max(s.memorySwingMb ?? 0, MIN_SWING_MB);
}
/** A swing below this is noise: kept memory is compared with at least this much. */
const MIN_SWING_MB = 1;

/** What each database finding of the analysis names, in the scenarios' words. */
const DATABASE_CAUSES: Readonly<Record<string, CauseId>> = {
  'n-plus-one': 'n_plus_one',
  'pool-wait': 'pool_exhausted',
  'slow-statement': 'missing_index',
  'lock-wait': 'lock_contention',
};

const entries = (signals: TraceSignals) =>
  Object.entries(signals.services) as [ServiceKind, ServiceSignals][];

/** The service with the largest figure, ties to the first in pipeline order; undefined when all are 0. */
function most(
  signals: TraceSignals,
  figure: (s: ServiceSignals) => number,
): ServiceKind | undefined {
  let best: ServiceKind | undefined;
  let bestValue = 0;
  for (const [kind, s] of entries(signals)) {
    if (figure(s) > bestValue) {
      best = kind;
      bestValue = figure(s);
    }
  }
  return best;
}

/**
 * Maps what `tracelab analyze` finds (its report) and what the spans' tags say (signals) to a
 * service and a cause of the scenario vocabulary. General rules, most specific evidence first:
 * a split trace names where context was lost; dead letters name a poison message; redeliveries
 * that end well a crash loop; other spans in error a poison message; a stage handling several
 * first deliveries per order a duplicate publisher; memory kept per order far above what its work moves a leak;
 * a stage whose own time outside its work fills the critical paths a slow downstream; then the
 * bottleneck the report names (head-of-line blocking when its queue dwarfs its work, else a
 * heavy workload); a database finding; and last the largest part of the critical path.
 */
export function analyserAnswer(report: AnalysisReport, signals: TraceSignals): AnalyserAnswer {
  for (const rule of RULES) {
    const answer = rule(report, signals);
    if (answer) return answer;
  }
  return { service: null, cause: null, because: 'the traces show nothing to name' };
}

type Rule = (report: AnalysisReport, signals: TraceSignals) => AnalyserAnswer | undefined;

const brokenPropagation: Rule = (report) => {
  const hop = report.propagation.brokenHops[0];
  const from = hop ? serviceOf(hop.from) : undefined;
  if (report.propagation.splitOrders.length === 0 || !hop || !from) return undefined;
  return {
    service: from,
    cause: 'broken_propagation',
    because: `${report.propagation.splitOrders.length} order(s) split over several traces, broken at ${hop.from} → ${hop.to}`,
  };
};

// Dead letters first: a message that failed every delivery; a crash's redeliveries mostly
// succeed in the end, even when the dying process marked its span in error.
const deadLetters: Rule = (_, signals) => {
  const deadLettered = most(signals, (s) => s.deadLetters);
  if (!deadLettered) return undefined;
  const s = signals.services[deadLettered]!;
  return {
    service: deadLettered,
    cause: 'poison_message',
    because: `${s.deadLetters} dead letter(s) and ${s.errorSpans} span(s) in error in ${deadLettered}`,
  };
};

const redeliveries: Rule = (_, signals) => {
  const redelivered = most(signals, (s) => s.redeliveries);
  if (!redelivered) return undefined;
  return {
    service: redelivered,
    cause: 'crash_loop',
    because: `${signals.services[redelivered]!.redeliveries} redelivery(ies) to ${redelivered}, none ending as a dead letter: its process died mid-message`,
  };
};

const errorSpans: Rule = (_, signals) => {
  const failing = most(signals, (s) => s.errorSpans);
  if (!failing) return undefined;
  return {
    service: failing,
    cause: 'poison_message',
    because: `${signals.services[failing]!.errorSpans} span(s) in error in ${failing}`,
  };
};

const copiesPublished: Rule = (_, signals) => {
  if (signals.orders === 0) return undefined;
  const copies = most(signals, (s) =>
    s.firstDeliveries / signals.orders > COPIES_PER_ORDER ? s.firstDeliveries : 0,
  );
  const topic = copies ? SERVICES[copies].consumes : undefined;
  const publisher = (Object.keys(SERVICES) as ServiceKind[]).find(
    (k) => topic !== undefined && SERVICES[k].publishes === topic,
  );
  if (!copies || !publisher) return undefined;
  return {
    service: publisher,
    cause: 'duplicate_delivery',
    because: `${signals.services[copies]!.firstDeliveries} first deliveries to ${copies} for ${signals.orders} orders: ${publisher} published copies`,
  };
};

const memoryKept: Rule = (_, signals) => {
  const growing = most(signals, (s) => (isLeak(s) ? s.memoryGrowthMb! : 0));
  if (!growing) return undefined;
  return {
    service: growing,
    cause: 'memory_leak',
    because: `${growing}'s memory grew by ${signals.services[growing]!.memoryGrowthMb} MB over the orders`,
  };
};

const timeOutsideWork: Rule = (report) => {
  const outside = outsideWork(report);
  if (!outside) return undefined;
  return {
    service: serviceOf(outside.service)!,
    cause: 'slow_downstream',
    because: `${outside.service}'s ${outside.operation} outside its workload spans takes ${Math.round(outside.share * 100)} % of the critical paths`,
  };
};

const reportedBottleneck: Rule = (report) => {
  const bottleneck = report.bottleneck ? serviceOf(report.bottleneck.service) : undefined;
  if (!bottleneck) return undefined;
  // A burst of n orders waits about (n − 1) / 2 services each: the queue dwarfs the work.
  // Orders paced near the service's rate wait about as long as they are worked on: each
  // order is simply expensive.
  const name = report.bottleneck!.service;
  const share = (kind: 'span' | 'queue') =>
    report.criticalPath.byStage
      .filter((s) => s.service === name && s.kind === kind)
      .reduce((a, s) => a + s.share, 0);
  const queued = share('queue') > QUEUE_OVER_WORK * share('span');
  return {
    service: bottleneck,
    cause: queued ? 'head_of_line_blocking' : 'heavy_workload',
    because: `the report's bottleneck: ${name} saturated on ${report.bottleneck!.topic}, ${Math.round(share('queue') * 100)} % of the critical paths in its queue, ${Math.round(share('span') * 100)} % in its work`,
  };
};

const databaseFinding: Rule = (report) => {
  const database = report.findings.find(
    (f) => DATABASE_CAUSES[f.kind] !== undefined && f.service !== undefined && serviceOf(f.service),
  );
  if (!database) return undefined;
  return {
    service: serviceOf(database.service!)!,
    cause: DATABASE_CAUSES[database.kind]!,
    because: `a database finding (${database.kind}) in ${database.service}`,
  };
};

/** Attempts per order, resends included, above which retries multiply the calls. */
const ATTEMPTS_PER_ORDER = 1.5;
/** An unanswered attempt held this many times an answered one's median: its time limit is far too long. */
const HELD_OVER_ANSWER = 5;
/** The unanswered attempts' share of the consumer's time above which they hold its queue up. */
const HELD_SHARE = 0.2;

/**
 * A dependency failing every call behind a circuit breaker: the caller's spans say the
 * breaker was open (calls refused at once); the dependency is the service its calls reached.
 */
const breakerOpen: Rule = (_, signals) => {
  const caller = most(signals, (s) => s.calls.breakerOpen);
  if (!caller) return undefined;
  const c = signals.services[caller]!.calls;
  return {
    service: c.callee ?? caller,
    cause: 'dependency_down',
    because: `${c.breakerOpen} span(s) of ${caller} with its circuit breaker open (calls refused at once), ${c.serverErrors} of its ${c.attempts} attempt(s) failed by ${c.callee ?? 'the dependency'}`,
  };
};

/** Attempts cut off only after far longer than an answer takes, holding the consumer up. */
const heldCalls: Rule = (_, signals) => {
  const held = (s: ServiceSignals) => {
    const c = s.calls;
    if (c.unansweredMeanUs === null || c.answeredP50Us === null || c.consumerUs === 0) return 0;
    const heldUs = c.unansweredMeanUs * c.unanswered;
    const long = c.unansweredMeanUs >= HELD_OVER_ANSWER * Math.max(c.answeredP50Us, 1);
    return long && heldUs / c.consumerUs >= HELD_SHARE ? heldUs : 0;
  };
  const caller = most(signals, held);
  if (!caller) return undefined;
  const c = signals.services[caller]!.calls;
  return {
    service: caller,
    cause: 'timeout_too_long',
    because: `${c.unanswered} attempt(s) of ${caller} cut off after ${Math.round(c.unansweredMeanUs! / 1000)} ms on average, where an answer takes ${Math.round(c.answeredP50Us! / 1000)} ms: ${Math.round(((c.unansweredMeanUs! * c.unanswered) / c.consumerUs) * 100)} % of its consumer's time`,
  };
};

/** Resent attempts multiplying the calls per order. */
const resentCalls: Rule = (_, signals) => {
  if (signals.orders === 0) return undefined;
  const caller = most(signals, (s) =>
    s.calls.resends > 0 && s.calls.attempts / signals.orders >= ATTEMPTS_PER_ORDER
      ? s.calls.attempts
      : 0,
  );
  if (!caller) return undefined;
  const c = signals.services[caller]!.calls;
  return {
    service: caller,
    cause: 'retry_storm',
    because: `${c.attempts} attempts of ${caller}'s calls for ${signals.orders} orders (${Math.round((c.attempts / signals.orders) * 10) / 10} per order), ${c.resends} of them resends, ${c.unanswered} cut off unanswered`,
  };
};

/** A replica that came only after the others had worked through part of the backlog. */
const lateReplica: Rule = (report, signals) => {
  const joined = most(signals, (s) => (s.joins.late > 0 ? s.joins.finishedBefore : 0));
  if (!joined) return undefined;
  const j = signals.services[joined]!.joins;
  const name = SERVICES[joined].serviceName;
  const queued = report.bottleneck?.service === name;
  if (!queued) return undefined;
  return {
    service: joined,
    cause: 'slow_autoscaling',
    because: `${joined} saturated and went from ${j.replicas - j.late} to ${j.replicas} replica(s) during the run: the first one added took its first message ${Math.round(j.afterUs! / 100_000) / 10} s in, ${j.finishedBefore} done and that one waiting ${Math.round(j.firstWaitUs! / 100_000) / 10} s already`,
  };
};

const largestPart: Rule = (report) => {
  const top = report.criticalPath.byStage[0];
  const topService = top ? serviceOf(top.service) : undefined;
  if (!top || !topService) return undefined;
  return {
    service: topService,
    cause: top.kind === 'queue' ? 'head_of_line_blocking' : 'heavy_workload',
    because: `the largest part of the critical paths: ${top.service} ${top.operation} (${Math.round(top.share * 100)} %)`,
  };
};

/** Most specific evidence first; the first rule that names something answers. */
const RULES: readonly Rule[] = [
  brokenPropagation,
  // A failing dependency's refusals and resends come with redeliveries and spans in error:
  // the calls' own evidence is the more specific.
  breakerOpen,
  heldCalls,
  resentCalls,
  deadLetters,
  redeliveries,
  errorSpans,
  copiesPublished,
  memoryKept,
  lateReplica,
  timeOutsideWork,
  reportedBottleneck,
  databaseFinding,
  largestPart,
];
