import type { Tracer } from '@opentelemetry/api';
import type { Bus } from '../../bus/index.js';
import type { FaultInjector } from '../../faults/index.js';
import type { OrderStore } from '../../store/index.js';
import type { Logger } from '../../telemetry/index.js';
import type { StepWorkload } from '../stage.js';

/** What the API's app and its routes are given: adapters, settings, fault switches. */
export interface ApiDeps {
  readonly bus: Bus;
  readonly store: OrderStore;
  readonly workload: StepWorkload;
  readonly tracer: Tracer;
  readonly logger: Logger;
  /** Answers /health: resolves when the service's dependencies answer. */
  readonly ping: () => Promise<void>;
  /** Largest accepted request body, bytes. */
  readonly bodyLimitBytes?: number;
  /** Longest a client may take to send a request, or keep an idle connection, ms. */
  readonly requestTimeoutMs?: number;
  /** Injected faults (`api.latency`, `api.error`, `api.crash`, `api.duplicate`). */
  readonly faults?: FaultInjector;
  /** Host names the API answers to (see http-guard); the loopback names when absent. */
  readonly allowedHosts?: ReadonlySet<string>;
  /** Ends the process as a crash would (an injected `api.crash`). */
  readonly crash?: () => Promise<never>;
}
