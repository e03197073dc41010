import { formatDuration, formatPercent, percentChange } from '../analysis/index.js';
import { round1 } from './figures.js';

/** A measured change further than this from the estimate (percentage points) is a miss. */
const MISS_POINTS = 10;
/** A service time per replica this many times the baseline's counts as slowed down. */
const SLOWED = 1.2;

/**
 * The queueing model's mean wait for a burst of `messages` arriving at once at `replicas` that
 * each take `serviceUs` an order: the i-th order (from 0) waits ⌊i / replicas⌋ service times.
 */
export function burstMeanWaitUs(messages: number, replicas: number, serviceUs: number): number {
  if (messages <= 0 || replicas <= 0) return 0;
  let sum = 0;
  for (let i = 0; i < messages; i++) sum += Math.floor(i / replicas);
  return (sum / messages) * serviceUs;
}

export interface ScalingRun {
  readonly replicas: number;
  /** Mean time one order holds one replica (the consumer span's duration). */
  readonly serviceUs: number;
  /** Mean wait in the queue, measured. */
  readonly meanWaitUs: number | null;
}

export interface ScalingEstimate {
  /** The model's mean wait at the baseline's service time, before and after scaling. */
  readonly modelBaseUs: number;
  readonly modelNextUs: number;
  readonly estimatedPct: number | null;
  readonly measuredPct: number | null;
  /** The model after scaling with the service time the replicas really had. */
  readonly modelMeasuredUs: number;
  /** Service time per replica after over before. */
  readonly slowdown: number | null;
  readonly missed: boolean;
  /** The estimate in words, then (when they differ) why the measurement missed it. */
  readonly estimateLine: string;
  readonly whyLines: readonly string[];
}

const capacity = (r: ScalingRun) =>
  r.serviceUs > 0 ? `${round1((r.replicas * 1e6) / r.serviceUs)} orders/s` : '?';

/**
 * Exercise 6's estimate (the model at the baseline's service time) against the measurement,
 * and where they differ by MISS_POINTS or more, why: the service time each replica really had
 * on this machine's `cores`, and the model's wait with it.
 */
export function estimateScaling(
  messages: number,
  base: ScalingRun,
  next: ScalingRun,
  cores: number,
): ScalingEstimate {
  const modelBaseUs = burstMeanWaitUs(messages, base.replicas, base.serviceUs);
  const modelNextUs = burstMeanWaitUs(messages, next.replicas, base.serviceUs);
  const modelMeasuredUs = burstMeanWaitUs(messages, next.replicas, next.serviceUs);
  // As analyze --compare computes the measured change: (b − a) / a, to 0.1 %.
  const pct = (a: number | null, b: number | null) =>
    a !== null && b !== null ? percentChange(a, b) : null;
  const estimatedPct = pct(modelBaseUs, modelNextUs);
  const measuredPct = pct(base.meanWaitUs, next.meanWaitUs);
  const missed =
    estimatedPct !== null && measuredPct !== null
      ? Math.abs(measuredPct - estimatedPct) >= MISS_POINTS
      : false;
  const slowdown = base.serviceUs > 0 ? next.serviceUs / base.serviceUs : null;
  const estimateLine =
    `Estimate: ${messages} orders at once, the i-th waits ⌊i / replicas⌋ service times; at the baseline's ` +
    `${formatDuration(base.serviceUs)} an order the mean wait goes ${formatDuration(modelBaseUs)} → ${formatDuration(modelNextUs)} (${formatPercent(estimatedPct)}).`;
  const perReplica = `${formatDuration(base.serviceUs)} → ${formatDuration(next.serviceUs)}`;
  const whyLines = !missed
    ? [
        `The measurement (${formatPercent(measuredPct)}) is within ${MISS_POINTS} points of the estimate; service time per replica ${perReplica}.`,
      ]
    : [
        `Why the estimate missed: it assumes each replica still takes ${formatDuration(base.serviceUs)} an order. ` +
          `Measured, each of the ${next.replicas} replicas took ${formatDuration(next.serviceUs)} (×${round1(slowdown ?? 0)} the baseline's)` +
          (slowdown !== null && slowdown >= SLOWED
            ? `: their CPU work shares the machine's ${cores} cores with each other and the other services, so the replicas slow each other down and capacity went ${capacity(base)} → ${capacity(next)}, not ×${next.replicas / base.replicas}.`
            : ': the service time hardly changed, so the difference is in how the burst reached the replicas (which replica took which order, and when).'),
        `  With the service time measured after scaling the model gives a mean wait of ${formatDuration(modelMeasuredUs)}; measured ${formatDuration(next.meanWaitUs ?? 0)}.`,
      ];
  return {
    modelBaseUs,
    modelNextUs,
    estimatedPct,
    measuredPct,
    modelMeasuredUs,
    slowdown,
    missed,
    estimateLine,
    whyLines,
  };
}
