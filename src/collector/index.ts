export { COLLECTOR_DEFAULTS, startCollector } from './collector.js';
export type { CollectorOptions, RunningCollector } from './collector.js';
export { TraceStore } from './store.js';
export { storeTraceSource } from './trace-source.js';
export type { TraceSource } from './trace-source.js';
export type { TraceQuery } from './query-params.js';
export type {
  JaegerDependencyLink,
  JaegerOperation,
  JaegerResponse,
  JaegerSpan,
  JaegerTag,
  JaegerTrace,
} from './jaeger-types.js';
export { CollectorError } from './errors.js';
