import type { Lab, LabOptions } from './lab.js';

export type { Lab, LabOptions, LabUp } from './lab.js';
export type { LineWriter } from './child.js';
export { parseScale } from './scale.js';
export {
  AUTOSCALED_KINDS,
  parseAutoscale,
  parseBoundsEntry,
  withinBounds,
} from './autoscale-spec.js';
export type { AutoscaleBoundsMap, AutoscaledKind } from './autoscale-spec.js';
export { DEFAULT_AUTOSCALE_SETTINGS } from './autoscale-decision.js';
export type { AutoscaleBounds, AutoscaleSettings } from './autoscale-decision.js';
export type { AutoscaleEvent, AutoscaleView } from './autoscaler.js';
export type { Replicas } from './scale.js';
export { tellReady, watchParent } from './parent-link.js';
export { DATABASE_MODES, ensureDatabase, findPostgresBinaries } from './postgres.js';
export type { DatabaseHandle } from './database-handle.js';
export type { DatabaseMode, EnsureDatabaseOptions } from './postgres.js';

/**
 * The lab is loaded on first use: it brings node:http (the admin endpoint) and ioredis, which
 * `tracelab service` must not load before its telemetry, though it imports this module.
 */
export async function createLab(options: LabOptions): Promise<Lab> {
  return (await import('./lab.js')).createLab(options);
}
