import { round } from '../errors/index.js';
import {
  ATTR_RESOURCE_CPU_AVG,
  ATTR_RESOURCE_CPU_BOUND,
  ATTR_RESOURCE_CPU_MAX,
  ATTR_RESOURCE_CPU_MEASURED,
  ATTR_RESOURCE_CPU_MIN,
  ATTR_RESOURCE_CPU_SOURCE,
  ATTR_RESOURCE_CPU_THREADS,
  ATTR_RESOURCE_MEMORY_AVG_MB,
  ATTR_RESOURCE_MEMORY_MAX_MB,
  ATTR_RESOURCE_MEMORY_MIN_MB,
  ATTR_RESOURCE_MEMORY_THRESHOLD_EXCEEDED,
  ATTR_RESOURCE_SAMPLES,
} from '../telemetry/index.js';

/** One reading of the whole process: when, CPU time used so far, resident memory. */
export interface ResourcePoint {
  /** Milliseconds since the epoch (performance.timeOrigin + performance.now()). */
  readonly timeMs: number;
  /** Process CPU time (user + system) since the process started, µs. */
  readonly cpuUs: number;
  readonly rssBytes: number;
}

/** CPU time one thread used for a span (one pool task, or several summed). */
export interface ThreadCpu {
  /** Worker thread id (0: the main thread). */
  readonly thread: number;
  readonly cpuNs: number;
}

/** What the span's own threads used, read on each of them. */
export interface SpanThreadCpu {
  /** The span's thread at start and end, ns; undefined where per-thread time is unreadable. */
  readonly startNs: number | undefined;
  readonly endNs: number | undefined;
  /** Other threads' time for the span (pool tasks), one entry per task. */
  readonly others: readonly ThreadCpu[];
  /** False when a thread's time for the span could not be read. */
  readonly complete: boolean;
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
  /** The sampler's readings (process-wide), oldest first. */
  readonly samples: readonly ResourcePoint[];
  readonly threads: SpanThreadCpu;
  /** Cores this process may use (os.availableParallelism()): no figure goes above cores × 100. */
  readonly cores: number;
}

/** A span's CPU, % of one core (200 = two cores busy). */
export interface CpuFigures {
  readonly avg: number;
  readonly max: number;
  readonly min: number;
  readonly bound: boolean;
  /** `thread`: the span's own threads' CPU time; `process`: the whole process's (not Linux). */
  readonly source: 'thread' | 'process';
  /** Threads counted (source `thread` only): the span's own and each pool thread it used. */
  readonly threads?: number;
}

/** What a workload span carries: CPU as % of one core, memory in MB. */
export interface ResourceFigures {
  /** Undefined: too short to measure, or a thread's time was unreadable. */
  readonly cpu: CpuFigures | undefined;
  readonly memoryAvgMb: number;
  readonly memoryMaxMb: number;
  readonly memoryMinMb: number;
  readonly memoryThresholdExceeded: boolean;
  /** Sampler readings inside the span; 0 for spans shorter than one interval. */
  readonly samples: number;
}

/**
 * Shortest span whose CPU is measured from thread CPU time. A reading is exact to about 5 µs
 * (its own cost), and a busy span reads within a point or two of its truth at p95; but on a
 * loaded machine up to 5.5 % of the readings of spans under 0.5 ms claim more CPU than wall
 * time (impossible), 1 % at most at 0.5 ms, none from 1 ms (`npm run bench:thread-cpu`,
 * docs/workload.md).
 */
export const MIN_THREAD_MEASURED_MS = 0.5;
/**
 * The same where only process CPU time exists: every other running thread's share of it may be
 * a scheduler tick (4 ms on Linux at 250 Hz) behind, so only spans of 100 ms and more.
 */
export const MIN_PROCESS_MEASURED_MS = 100;
/** Whole sampler intervals a span must hold for max and min from the samples. */
export const MIN_INTERVALS = 2;

const BYTES_PER_MB = 1024 * 1024;

const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, n));

/** Process CPU between two readings, % of one core, within [0, cores × 100]. */
function processPercent(from: ResourcePoint, to: ResourcePoint, cores: number): number {
  const wallMs = to.timeMs - from.timeMs;
  if (wallMs <= 0) return 0;
  // µs of CPU per ms of wall time: /1000 for ms, ×100 for percent.
  return clamp((to.cpuUs - from.cpuUs) / wallMs / 10, 0, cores * 100);
}

/**
 * The span's threads' CPU time ÷ its wall time. Each thread's share is clamped to the wall
 * time (no thread runs longer than the span) and the sum to the cores.
 */
function threadPercent(
  t: SpanThreadCpu,
  wallMs: number,
  cores: number,
): { percent: number; threads: number } | undefined {
  if (t.startNs === undefined || t.endNs === undefined || !t.complete) return undefined;
  const wallNs = wallMs * 1e6;
  const byThread = new Map<number, number>();
  for (const o of t.others) byThread.set(o.thread, (byThread.get(o.thread) ?? 0) + o.cpuNs);
  let ns = clamp(t.endNs - t.startNs, 0, wallNs);
  for (const used of byThread.values()) ns += clamp(used, 0, wallNs);
  return { percent: Math.min((ns / wallNs) * 100, cores * 100), threads: 1 + byThread.size };
}

function cpuFigures(
  input: AggregateInput,
  inside: readonly ResourcePoint[],
): CpuFigures | undefined {
  const { start, end, threads, cores } = input;
  const wallMs = end.timeMs - start.timeMs;
  const perThread = threads.startNs !== undefined && threads.endNs !== undefined;
  if (wallMs < (perThread ? MIN_THREAD_MEASURED_MS : MIN_PROCESS_MEASURED_MS)) return undefined;
  const own = perThread ? threadPercent(threads, wallMs, cores) : undefined;
  if (perThread && !own) return undefined;
  const avg = own ? own.percent : processPercent(start, end, cores);

  // The samples are the whole process's: per interval they count the span's threads and
  // whatever else ran. Only whole intervals inside the span, and only enough of them, say
  // more than the average does; max and min always bracket it.
  let max = avg;
  let min = avg;
  if (inside.length - 1 >= MIN_INTERVALS) {
    for (let i = 1; i < inside.length; i++) {
      const rate = processPercent(inside[i - 1]!, inside[i]!, cores);
      max = Math.max(max, rate);
      min = Math.min(min, rate);
    }
  }
  return {
    avg: round(avg, 1),
    max: round(max, 1),
    min: round(min, 1),
    bound: avg >= input.cpuThresholdPercent,
    source: own ? 'thread' : 'process',
    ...(own ? { threads: own.threads } : {}),
  };
}

/**
 * CPU from the span's own threads' CPU time (see cpuFigures); memory from the process's RSS
 * at start, at each sample inside the span, and at end.
 */
export function aggregate(input: AggregateInput): ResourceFigures {
  const { start, end } = input;
  const inside = input.samples.filter((s) => s.timeMs > start.timeMs && s.timeMs < end.timeMs);
  const memory = [start, ...inside, end].map((p) => p.rssBytes / BYTES_PER_MB);
  const memoryMaxMb = Math.max(...memory);
  return {
    cpu: cpuFigures(input, inside),
    memoryAvgMb: round(memory.reduce((a, b) => a + b, 0) / memory.length, 2),
    memoryMaxMb: round(memoryMaxMb, 2),
    memoryMinMb: round(Math.min(...memory), 2),
    memoryThresholdExceeded: memoryMaxMb > input.memoryThresholdMb,
    samples: inside.length,
  };
}

/** The spec's attribute names for the figures; no CPU figure at all where it was not measured. */
export function resourceAttributes(f: ResourceFigures): Record<string, number | boolean | string> {
  const cpu: Record<string, number | boolean | string> = f.cpu
    ? {
        [ATTR_RESOURCE_CPU_AVG]: f.cpu.avg,
        [ATTR_RESOURCE_CPU_MAX]: f.cpu.max,
        [ATTR_RESOURCE_CPU_MIN]: f.cpu.min,
        [ATTR_RESOURCE_CPU_BOUND]: f.cpu.bound,
        [ATTR_RESOURCE_CPU_MEASURED]: true,
        [ATTR_RESOURCE_CPU_SOURCE]: f.cpu.source,
        ...(f.cpu.threads !== undefined ? { [ATTR_RESOURCE_CPU_THREADS]: f.cpu.threads } : {}),
      }
    : { [ATTR_RESOURCE_CPU_MEASURED]: false };
  return {
    ...cpu,
    [ATTR_RESOURCE_MEMORY_AVG_MB]: f.memoryAvgMb,
    [ATTR_RESOURCE_MEMORY_MAX_MB]: f.memoryMaxMb,
    [ATTR_RESOURCE_MEMORY_MIN_MB]: f.memoryMinMb,
    [ATTR_RESOURCE_MEMORY_THRESHOLD_EXCEEDED]: f.memoryThresholdExceeded,
    [ATTR_RESOURCE_SAMPLES]: f.samples,
  };
}
