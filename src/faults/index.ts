export {
  applyFaultSettings,
  describeFaults,
  FAULT_KINDS,
  FaultSpecError,
  parseFaultSetting,
} from './spec.js';
export type { FaultKind, FaultSet, FaultSetting, ServiceFaults } from './spec.js';
export {
  ATTR_FAULT,
  ATTR_FAULT_DUPLICATES,
  ATTR_FAULT_LATENCY_MS,
  ATTR_FAULT_LEAKED_MB,
  createFaultInjector,
  InjectedCrash,
  InjectedError,
} from './injector.js';
export type { DatabaseFaults, FaultInjector, FaultInjectorOptions } from './injector.js';
export { redisFaultState } from './state.js';
export type { FaultState } from './state.js';
