import type { Redis } from 'ioredis';
import { finishedWithin } from '../errors/index.js';
import { createFaultInjector, redisFaultState } from '../faults/index.js';
import type { FaultInjector, FaultSet } from '../faults/index.js';
import type { ServiceKind } from '../model/index.js';
import type { Logger } from '../telemetry/index.js';
import type { Tracer } from '@opentelemetry/api';
import type { ResourceMonitor } from '../monitor/index.js';
import { createWorkload } from '../workload/index.js';
import type { Workload, WorkloadSettings } from '../workload/index.js';

/** A service's workload runner and fault switches, both on its own Redis connection. */
export function workloadAndFaults(
  service: ServiceKind,
  config: { readonly workload: WorkloadSettings; readonly faults: FaultSet },
  deps: { readonly tracer: Tracer; readonly monitor?: ResourceMonitor },
  redis: Redis,
  keyPrefix: string,
): { workload: Workload; faults: FaultInjector } {
  const workload = createWorkload({
    service,
    settings: config.workload,
    redis,
    tracer: deps.tracer,
    keyPrefix,
    // The process's one monitor: the same samples go on spans and out as metrics.
    ...(deps.monitor ? { monitor: deps.monitor } : {}),
  });
  const faults = createFaultInjector({
    service,
    base: config.faults,
    state: redisFaultState(redis, keyPrefix),
  });
  return { workload, faults };
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
