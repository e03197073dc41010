export { createWorkload } from './runner.js';
export type { RunOptions, Workload, WorkloadDeps } from './runner.js';
export type { Queryable, WorkloadDatabase } from './operations/db.js';
export {
  ATTR_WORKLOAD_DB_LOCK_WAIT_MS,
  ATTR_WORKLOAD_DB_ROWS_READ,
  ATTR_WORKLOAD_DB_STATEMENTS,
  ATTR_WORKLOAD_NET_BYTES_RECEIVED,
  ATTR_WORKLOAD_NET_BYTES_SENT,
  ATTR_WORKLOAD_NET_PAYLOAD_BYTES,
  ATTR_WORKLOAD_NET_ROUND_TRIPS,
} from './attributes.js';
export { parseIntensityList, workloadOptions, workloadSettingsFrom } from './settings.js';
export { WorkloadError } from './errors.js';
export type { WorkloadErrorCode } from './errors.js';
export {
  INTENSITIES,
  INTENSITY_BAGGAGE_KEY,
  NETWORK_PAYLOAD_BYTES,
  OPERATIONS,
  SPEC_MIXES,
  WORKLOAD_TYPES,
} from './types.js';
export type {
  Intensity,
  MonitorSettings,
  OperationName,
  ServiceMix,
  WorkloadPlan,
  WorkloadSettings,
  WorkloadType,
} from './types.js';
export { isIntensity, mulberry32 } from './plan.js';
export { redisIntensityState, watchIntensity } from './intensity-state.js';
export type { ForcedIntensities, IntensityState, IntensityWatch } from './intensity-state.js';
export {
  DEFAULT_RESILIENCE,
  describeResilience,
  effectivePolicy,
  hasBreaker,
  parseResilienceSettings,
  RESILIENCE_FIELDS,
  resiliencePolicyFrom,
  ResilienceSpecError,
} from './resilience.js';
export type { ResiliencePolicy, ResilienceSettings } from './resilience.js';
export { redisResilienceState, watchResilience } from './resilience-state.js';
export type { ResilienceState, ResilienceWatch } from './resilience-state.js';
