export { createWorkload } from './runner.js';
export type { RunOptions, Workload, WorkloadDeps } from './runner.js';
export { workloadOptions, workloadSettingsFrom } from './settings.js';
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
export { mulberry32 } from './plan.js';
