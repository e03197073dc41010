import type { Redis } from 'ioredis';
import { finishedWithin } from '../errors/index.js';
import { createFaultInjector, redisFaultState } from '../faults/index.js';
import type { FaultInjector, FaultSet } from '../faults/index.js';
import type { ServiceKind } from '../model/index.js';
import type { Logger } from '../telemetry/index.js';
import type { Tracer } from '@opentelemetry/api';
import type { ResourceMonitor } from '../monitor/index.js';
import { createWorkload, redisIntensityState, watchIntensity } from '../workload/index.js';
import type { Workload, WorkloadDatabase, WorkloadSettings } from '../workload/index.js';

/**
 * A service's workload runner and fault switches, both on its own Redis connection, with what
 * is switched at run time (faults, intensity) read from Redis now and then.
 */
export function workloadAndFaults(
  service: ServiceKind,
  config: { readonly workload: WorkloadSettings; readonly faults: FaultSet },
  deps: { readonly tracer: Tracer; readonly monitor?: ResourceMonitor },
  redis: Redis,
  keyPrefix: string,
  /** Inventory's database: with it, the mix's db_heavy work runs there. */
  database?: WorkloadDatabase,
): {
  workload: Workload;
  faults: FaultInjector;
  /** Stops reading the run-time switches. */
  stopWatching: () => void;
  close: () => Promise<void>;
} {
  const faults = createFaultInjector({
    service,
    base: config.faults,
    state: redisFaultState(redis, keyPrefix),
  });
  const intensity = watchIntensity(redisIntensityState(redis, keyPrefix), service);
  const workload = createWorkload({
    service,
    settings: config.workload,
    redis,
    tracer: deps.tracer,
    keyPrefix,
    runtimeIntensity: () => intensity.current(),
    ...(database ? { database } : {}),
    // The process's one monitor: the same samples go on spans and out as metrics.
    ...(deps.monitor ? { monitor: deps.monitor } : {}),
  });
  const stopWatching = () => {
    faults.close();
    intensity.close();
  };
  return {
    workload,
    faults,
    stopWatching,
    close: async () => {
      stopWatching();
      await workload.close();
    },
  };
}

/** An injected crash: the spans so far are sent, then the process dies as if killed. */
export function crashProcess(deps: {
  readonly logger: Logger;
  readonly flush?: () => Promise<void>;
}): () => Promise<never> {
  return async (): Promise<never> => {
    deps.logger.error('injected crash: the process dies now, as if killed');
    await finishedWithin(deps.flush?.() ?? Promise.resolve(), 1000);
    process.kill(process.pid, 'SIGKILL');
    return new Promise<never>(() => undefined);
  };
}
