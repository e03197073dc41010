export { startTelemetry } from './sdk.js';
export type { Telemetry, TelemetryOptions } from './sdk.js';
export { createLogger } from './logger.js';
export type { Logger, LogLevel } from './logger.js';
export { HOUSEKEEPING_HEADER, isHousekeeping } from './housekeeping.js';
