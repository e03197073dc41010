export { createWorkload } from './runner.js';
export type { RunOptions, Workload, WorkloadDeps } from './runner.js';
export { parseIntensityList, workloadOptions, workloadSettingsFrom } from './settings.js';
export { WorkloadError } from './errors.js';
export type { WorkloadErrorCode } from './errors.js';
export {
  INTENSITIES,
  INTENSITY_BAGGAGE_KEY,
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
