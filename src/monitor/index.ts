export { createResourceMonitor } from './monitor.js';
export type {
  ResourceMark,
  ResourceMonitor,
  ResourceMonitorOptions,
  ThreadCpuLedger,
} from './monitor.js';
export {
  aggregate,
  MIN_INTERVALS,
  MIN_PROCESS_MEASURED_MS,
  MIN_THREAD_MEASURED_MS,
  resourceAttributes,
} from './aggregate.js';
export type {
  AggregateInput,
  CpuFigures,
  ResourceFigures,
  ResourcePoint,
  SpanThreadCpu,
  ThreadCpu,
  Thresholds,
} from './aggregate.js';
export { threadCpuNs } from './thread-cpu.js';
export { collectWhenIdle } from './idle-gc.js';
export type { IdleCollectionOptions } from './idle-gc.js';
