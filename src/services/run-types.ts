import type { Tracer } from '@opentelemetry/api';
import type { BusConfig, PropagationMode } from '../bus/index.js';
import type { FaultSet } from '../faults/index.js';
import type { ServiceKind } from '../model/index.js';
import type { ResourceMonitor } from '../monitor/index.js';
import type { Logger } from '../telemetry/index.js';
import type { ResiliencePolicy, WorkloadSettings } from '../workload/index.js';

/** What starting one service takes and gives, whichever service it is. */
export interface ServiceRunConfig {
  readonly kind: ServiceKind;
  readonly bus: BusConfig;
  readonly workload: WorkloadSettings;
  readonly host: string;
  /** Names the API answers to besides loopback and `host` (`--public-host`). */
  readonly publicHosts?: readonly string[];
  readonly apiPort: number;
  readonly concurrency: number;
  /** Failed deliveries of one message before it is dead-lettered. */
  readonly maxDeliveries: number;
  /** Failed deliveries, each only because a dependency was down, before it is dead-lettered. */
  readonly maxDependencyDeliveries?: number;
  /** Faults the flags switch on; `tracelab fault` switches them at run time. */
  readonly faults: FaultSet;
  /** Names this consumer in its group: a replica number or a host name. */
  readonly replica: string;
  /** `tracelab up`'s run: in the consumer's name, so no other run's consumer shares it. */
  readonly runId?: string | undefined;
  /** On stop, how long a consumer may finish the work in hand before it is cut short. */
  readonly stopGraceMs: number;
  /** Inventory: its port (it binds to `host`, as the API does). */
  readonly inventoryPort?: number;
  /** Inventory: its PostgreSQL, and the size of its pool. */
  readonly databaseUrl?: string | undefined;
  readonly databasePool?: number;
  /** Processing: the inventory replicas it reserves each order with (none: no call). */
  readonly inventoryUrls?: readonly string[];
  /** Processing: the policies around each call to inventory, as the flags set them. */
  readonly inventoryPolicy?: ResiliencePolicy;
  /** Consumers: a child of the producer's span (default) or a new trace linked to it. */
  readonly propagation?: PropagationMode;
}

export interface RunningService {
  /** One line for the log: where it listens or what it consumes. */
  readonly ready: string;
  /** Where it serves, by name (`api`); empty for a consumer. */
  readonly urls: Readonly<Record<string, string>>;
  /** Graceful: no new work, finish the work in hand, close connections. */
  stop(): Promise<void>;
}

export interface ServiceRunDeps {
  tracer: Tracer;
  logger: Logger;
  monitor?: ResourceMonitor;
  flush?: () => Promise<void>;
}
