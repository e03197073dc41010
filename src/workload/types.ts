/** Names and shapes from the spec's "Workload Simulation System", exactly. */
import type { ServiceKind } from '../model/index.js';

export const INTENSITIES = ['light', 'medium', 'heavy', 'severe'] as const;
export type Intensity = (typeof INTENSITIES)[number];

export const WORKLOAD_TYPES = ['cpu_heavy', 'io_heavy'] as const;
export type WorkloadType = (typeof WORKLOAD_TYPES)[number];

export type CpuOperation =
  | 'json_processing'
  | 'hash_computation'
  | 'intensive_prime_computation'
  | 'extreme_cpu_computation';
export type IoOperation =
  'redis_basic' | 'file_and_redis' | 'intensive_io_operations' | 'extreme_io_operations';
export type OperationName = CpuOperation | IoOperation;

/** One planned run of one operation: what a workload span describes. */
export interface WorkloadPlan {
  readonly type: WorkloadType;
  readonly intensity: Intensity;
  readonly operation: OperationName;
  /** Items (CPU) or file lines / Redis ops (I/O), after the scale factor. */
  readonly items: number;
}

/** Baggage key that forces one order's intensity in every service downstream. */
export const INTENSITY_BAGGAGE_KEY = 'tracelab.intensity';

/** Which operation each type runs at each intensity (spec: "Workload Operations"). */
export const OPERATIONS: Readonly<
  Record<WorkloadType, Readonly<Record<Intensity, OperationName>>>
> = {
  cpu_heavy: {
    light: 'json_processing',
    medium: 'hash_computation',
    heavy: 'intensive_prime_computation',
    severe: 'extreme_cpu_computation',
  },
  io_heavy: {
    light: 'redis_basic',
    medium: 'file_and_redis',
    heavy: 'intensive_io_operations',
    severe: 'extreme_io_operations',
  },
};

/** Item counts per type and intensity at scale 1, both ends included (spec: "Workload Types"). */
export const ITEM_RANGES: Readonly<
  Record<WorkloadType, Readonly<Record<Intensity, readonly [min: number, max: number]>>>
> = {
  cpu_heavy: {
    light: [100, 100],
    medium: [1_000, 5_000],
    heavy: [50_000, 100_000],
    severe: [100_000, 200_000],
  },
  io_heavy: {
    light: [5, 15],
    medium: [100, 500],
    heavy: [5_000, 15_000],
    severe: [30_000, 60_000],
  },
};

/** One service's mix: the chance of CPU- or I/O-heavy work, and the intensities it draws from. */
export interface ServiceMix {
  /** Probability of `cpu_heavy`; `io_heavy` is 1 − this. */
  readonly cpuHeavy: number;
  readonly ioHeavy: number;
  /** Drawn with equal chance. */
  readonly intensities: readonly Intensity[];
}

/** The spec's "Service-Specific Configurations" table. */
export const SPEC_MIXES: Readonly<Record<ServiceKind, ServiceMix>> = {
  api: { cpuHeavy: 0.4, ioHeavy: 0.6, intensities: ['light', 'medium'] },
  processing: { cpuHeavy: 0.7, ioHeavy: 0.3, intensities: ['medium', 'heavy', 'severe'] },
  notification: { cpuHeavy: 0.3, ioHeavy: 0.7, intensities: ['light', 'medium', 'heavy'] },
  analytics: { cpuHeavy: 0.5, ioHeavy: 0.5, intensities: ['medium', 'heavy', 'severe'] },
  inventory: { cpuHeavy: 0.3, ioHeavy: 0.7, intensities: ['light', 'medium'] },
};

export const WORKLOAD_MODES = ['spec', 'none'] as const;
/** `spec`: run the spec's operations; `none`: run no work and make no workload span. */
export type WorkloadMode = (typeof WORKLOAD_MODES)[number];

/** Resource monitor settings (spec: "Resource Monitoring Tuning"). */
export interface MonitorSettings {
  /** False: no sampler thread, workload spans carry no `resource.*` attributes. */
  readonly enabled: boolean;
  readonly intervalMs: number;
  /** % of one core; a span whose average CPU reaches it is `resource.cpu_bound`. */
  readonly cpuThresholdPercent: number;
  /** A span whose highest RSS goes over it has `resource.memory_threshold_exceeded`. */
  readonly memoryThresholdMb: number;
}

/** Everything the workload runner needs, read from flags, env and config by `workloadSettingsFrom`. */
export interface WorkloadSettings {
  /** Seed of the random choices; undefined draws a fresh seed per runner. */
  readonly seed: number | undefined;
  /** Multiplies every item count (at least 1 item is always run). */
  readonly scale: number;
  readonly mode: WorkloadMode;
  /** Intensities fixed per service (`--intensity processing=heavy`). */
  readonly fixedIntensities: Readonly<Partial<Record<ServiceKind, Intensity>>>;
  readonly mixes: Readonly<Record<ServiceKind, ServiceMix>>;
  readonly monitor: MonitorSettings;
}
