/**
 * Names and shapes from the spec's "Workload Simulation System", exactly; the database and
 * network types are ours (the guide's "database operations" and "network-intensive" ideas).
 */
import type { ServiceKind } from '../model/index.js';

export const INTENSITIES = ['light', 'medium', 'heavy', 'severe'] as const;
export type Intensity = (typeof INTENSITIES)[number];

/** In this order the type draw walks the mix's weights: the spec's two first, so their draws stay. */
export const WORKLOAD_TYPES = ['cpu_heavy', 'io_heavy', 'db_heavy', 'network_heavy'] as const;
export type WorkloadType = (typeof WORKLOAD_TYPES)[number];

export type CpuOperation =
  | 'json_processing'
  | 'hash_computation'
  | 'intensive_prime_computation'
  | 'extreme_cpu_computation';
export type IoOperation =
  'redis_basic' | 'file_and_redis' | 'intensive_io_operations' | 'extreme_io_operations';
export type DbOperation =
  'db_indexed_lookup' | 'db_join_aggregate' | 'db_table_scan' | 'db_locked_transaction';
export type NetworkOperation =
  'net_small_messages' | 'net_payload_transfer' | 'net_bulk_transfer' | 'net_stream_flood';
export type OperationName = CpuOperation | IoOperation | DbOperation | NetworkOperation;

/** One planned run of one operation: what a workload span describes. */
export interface WorkloadPlan {
  readonly type: WorkloadType;
  readonly intensity: Intensity;
  readonly operation: OperationName;
  /**
   * Items (CPU), file lines / Redis ops (I/O), lookups / items / rows (database) or round
   * trips (network), after the scale factor.
   */
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
  db_heavy: {
    light: 'db_indexed_lookup',
    medium: 'db_join_aggregate',
    heavy: 'db_table_scan',
    severe: 'db_locked_transaction',
  },
  network_heavy: {
    light: 'net_small_messages',
    medium: 'net_payload_transfer',
    heavy: 'net_bulk_transfer',
    severe: 'net_stream_flood',
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
  // Indexed lookups; catalogue items joined and aggregated; movement rows scanned; stock rows
  // recounted under the lock.
  db_heavy: {
    light: [5, 15],
    medium: [100, 500],
    heavy: [50_000, 150_000],
    severe: [5_000, 15_000],
  },
  // Round trips, each a payload of NETWORK_PAYLOAD_BYTES sent and echoed back.
  network_heavy: {
    light: [5, 15],
    medium: [20, 50],
    heavy: [20, 60],
    severe: [15, 30],
  },
};

/** Bytes of one network round trip's payload, growing with the intensity. */
export const NETWORK_PAYLOAD_BYTES: Readonly<Record<Intensity, number>> = {
  light: 1024,
  medium: 64 * 1024,
  heavy: 1024 * 1024,
  severe: 8 * 1024 * 1024,
};

/**
 * One service's mix: the chance of each type, and the intensities it draws from. The shares
 * add up to 1; a type without a share is never drawn (the spec's services have only the two).
 */
export interface ServiceMix {
  readonly cpuHeavy: number;
  readonly ioHeavy: number;
  readonly dbHeavy?: number;
  readonly networkHeavy?: number;
  /** Drawn with equal chance. */
  readonly intensities: readonly Intensity[];
}

/** The field of ServiceMix holding each type's share. */
export const MIX_SHARE_FIELDS = {
  cpu_heavy: 'cpuHeavy',
  io_heavy: 'ioHeavy',
  db_heavy: 'dbHeavy',
  network_heavy: 'networkHeavy',
} as const satisfies Record<WorkloadType, keyof ServiceMix>;

/** A type's share in a mix, 0 when the mix has none. */
export function mixShare(mix: ServiceMix, type: WorkloadType): number {
  return mix[MIX_SHARE_FIELDS[type]] ?? 0;
}

/** The spec's "Service-Specific Configurations" table. */
export const SPEC_MIXES: Readonly<Record<ServiceKind, ServiceMix>> = {
  api: { cpuHeavy: 0.4, ioHeavy: 0.6, intensities: ['light', 'medium'] },
  processing: { cpuHeavy: 0.7, ioHeavy: 0.3, intensities: ['medium', 'heavy', 'severe'] },
  notification: { cpuHeavy: 0.3, ioHeavy: 0.7, intensities: ['light', 'medium', 'heavy'] },
  analytics: { cpuHeavy: 0.5, ioHeavy: 0.5, intensities: ['medium', 'heavy', 'severe'] },
  // Ours: mostly queries on its own database. On the order's synchronous path, like the API,
  // so light and medium only by default.
  inventory: { cpuHeavy: 0.2, ioHeavy: 0.3, dbHeavy: 0.5, intensities: ['light', 'medium'] },
  // Ours: a small check and a write per order, beside analytics.
  audit: { cpuHeavy: 0.3, ioHeavy: 0.7, intensities: ['light'] },
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
