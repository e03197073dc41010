import {
  ATTR_RESOURCE_CPU_AVG,
  ATTR_RESOURCE_CPU_BOUND,
  ATTR_RESOURCE_CPU_EXACT,
  ATTR_RESOURCE_CPU_MAX,
  ATTR_RESOURCE_CPU_MIN,
  ATTR_RESOURCE_MEMORY_AVG_MB,
  ATTR_RESOURCE_MEMORY_MAX_MB,
  ATTR_RESOURCE_MEMORY_MIN_MB,
  ATTR_RESOURCE_MEMORY_THRESHOLD_EXCEEDED,
  ATTR_RESOURCE_SAMPLES,
} from '../telemetry/semconv.js';

/** One reading of the whole process: when, CPU time used so far, resident memory. */
export interface ResourcePoint {
  /** Milliseconds since the epoch (performance.timeOrigin + performance.now()). */
  readonly timeMs: number;
  /** Process CPU time (user + system) since the process started, µs. */
  readonly cpuUs: number;
  readonly rssBytes: number;
}

export interface Thresholds {
  /** % of one core. */
  readonly cpuThresholdPercent: number;
  readonly memoryThresholdMb: number;
}

export interface AggregateInput extends Thresholds {
  /** Taken on the span's thread when the span began and when it ended. */
  readonly start: ResourcePoint;
  readonly end: ResourcePoint;
  /** The sampler's readings between start and end, oldest first. */
  readonly samples: readonly ResourcePoint[];
  readonly intervalMs: number;
}

/** What a workload span carries: CPU as % of one core (200 = two cores busy), memory in MB. */
export interface ResourceFigures {
  readonly cpuAvg: number;
  readonly cpuMax: number;
  readonly cpuMin: number;
  /** Process CPU time between start and end ÷ wall time: exact, whatever the sampling. */
  readonly cpuExact: number;
  readonly cpuBound: boolean;
  readonly memoryAvgMb: number;
  readonly memoryMaxMb: number;
  readonly memoryMinMb: number;
  readonly memoryThresholdExceeded: boolean;
  /** Sampler readings inside the span; 0 for spans shorter than one interval. */
  readonly samples: number;
}

const BYTES_PER_MB = 1024 * 1024;

function cpuPercent(from: ResourcePoint, to: ResourcePoint): number {
  const wallMs = to.timeMs - from.timeMs;
  if (wallMs <= 0) return 0;
  // µs of CPU per ms of wall time: /1000 for ms, ×100 for percent.
  return Math.max(0, (to.cpuUs - from.cpuUs) / wallMs / 10);
}

const round = (n: number, places: number): number => {
  const f = 10 ** places;
  return Math.round(n * f) / f;
};

/**
 * CPU is measured over the intervals between readings (start, samples, end), clipped to the
 * span so time before it never counts. Intervals shorter than half the sampling interval are
 * merged into a neighbour: a 2 ms slice would give a noisy figure. Without samples the only
 * interval is the whole span, so avg = max = min = the exact figure.
 */
export function aggregate(input: AggregateInput): ResourceFigures {
  const { start, end } = input;
  const inside = input.samples.filter((s) => s.timeMs > start.timeMs && s.timeMs < end.timeMs);
  const minSpanMs = input.intervalMs / 2;

  const bounds: ResourcePoint[] = [start];
  for (const s of inside) {
    if (s.timeMs - bounds[bounds.length - 1]!.timeMs >= minSpanMs) bounds.push(s);
  }
  if (bounds.length > 1 && end.timeMs - bounds[bounds.length - 1]!.timeMs < minSpanMs) {
    bounds[bounds.length - 1] = end;
  } else {
    bounds.push(end);
  }
  const rates: number[] = [];
  for (let i = 1; i < bounds.length; i++) rates.push(cpuPercent(bounds[i - 1]!, bounds[i]!));

  const cpuExact = cpuPercent(start, end);
  const cpuAvg = rates.reduce((a, b) => a + b, 0) / rates.length;
  const memory = [start, ...inside, end].map((p) => p.rssBytes / BYTES_PER_MB);
  const memoryMaxMb = Math.max(...memory);
  return {
    cpuAvg: round(cpuAvg, 1),
    cpuMax: round(Math.max(...rates), 1),
    cpuMin: round(Math.min(...rates), 1),
    cpuExact: round(cpuExact, 1),
    cpuBound: Math.max(cpuAvg, cpuExact) >= input.cpuThresholdPercent,
    memoryAvgMb: round(memory.reduce((a, b) => a + b, 0) / memory.length, 2),
    memoryMaxMb: round(memoryMaxMb, 2),
    memoryMinMb: round(Math.min(...memory), 2),
    memoryThresholdExceeded: memoryMaxMb > input.memoryThresholdMb,
    samples: inside.length,
  };
}

/** The spec's attribute names for the figures. */
export function resourceAttributes(f: ResourceFigures): Record<string, number | boolean> {
  return {
    [ATTR_RESOURCE_CPU_AVG]: f.cpuAvg,
    [ATTR_RESOURCE_CPU_MAX]: f.cpuMax,
    [ATTR_RESOURCE_CPU_MIN]: f.cpuMin,
    [ATTR_RESOURCE_CPU_EXACT]: f.cpuExact,
    [ATTR_RESOURCE_CPU_BOUND]: f.cpuBound,
    [ATTR_RESOURCE_MEMORY_AVG_MB]: f.memoryAvgMb,
    [ATTR_RESOURCE_MEMORY_MAX_MB]: f.memoryMaxMb,
    [ATTR_RESOURCE_MEMORY_MIN_MB]: f.memoryMinMb,
    [ATTR_RESOURCE_MEMORY_THRESHOLD_EXCEEDED]: f.memoryThresholdExceeded,
    [ATTR_RESOURCE_SAMPLES]: f.samples,
  };
}
