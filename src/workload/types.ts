/** Names and shapes from the spec's "Workload Simulation System", exactly. */

export const SERVICE_KINDS = ['api', 'processing', 'notification', 'analytics'] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

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
