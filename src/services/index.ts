import type { RunningService, ServiceRunConfig, ServiceRunDeps } from './run-types.js';

export type { RunningService, ServiceRunConfig, ServiceRunDeps } from './run-types.js';
export { deadLetterCounts, replayDeadLetters } from './dlq.js';

/**
 * Connects, builds and starts one service. Loaded on first call: the services require
 * node:http, which must load after telemetry has started (see src/telemetry/sdk.ts).
 */
export async function runService(
  config: ServiceRunConfig,
  deps: ServiceRunDeps,
): Promise<RunningService> {
  return (await import('./run-service.js')).runService(config, deps);
}
