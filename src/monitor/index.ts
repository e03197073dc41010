export { createResourceMonitor } from './monitor.js';
export type { ResourceMark, ResourceMonitor, ResourceMonitorOptions } from './monitor.js';
export { aggregate, resourceAttributes } from './aggregate.js';
export type { AggregateInput, ResourceFigures, ResourcePoint, Thresholds } from './aggregate.js';
export { collectWhenIdle } from './idle-gc.js';
export type { IdleCollectionOptions } from './idle-gc.js';
