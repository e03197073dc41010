import { DEFAULT_READ_AHEAD_MS, PROPAGATION_MODES } from '../bus/index.js';
import {
  DEFAULT_API_PORT,
  DEFAULT_HOST,
  DEFAULT_INVENTORY_PORT,
  DEFAULT_OTLP_URL,
  portOption,
} from '../config/index.js';
import type { OptionSpec } from '../config/index.js';
import { LOG_LEVELS } from '../telemetry/index.js';

/** Options of one service process; `tracelab up` passes them through to each child. */
export const serviceOptions: readonly OptionSpec[] = [
  {
    name: 'host',
    type: 'string',
    env: 'TRACELAB_HOST',
    default: DEFAULT_HOST,
    description: `address the API and inventory services bind to, and only they (the collector stays on its own --collector-host); beyond ${DEFAULT_HOST} anyone who can reach them may place orders and reserve stock`,
  },
  {
    name: 'public-host',
    type: 'list',
    env: 'TRACELAB_PUBLIC_HOST',
    default: [],
    description:
      'a host name the API, inventory and the collector answer to, besides localhost and their bind address (an IP address is always answered; repeat or comma-separate): any other name in the Host header gets 421, against DNS rebinding',
  },
  portOption({
    name: 'api-port',
    env: 'TRACELAB_API_PORT',
    default: DEFAULT_API_PORT,
    description: 'API service HTTP port (0: any free port)',
  }),
  {
    name: 'concurrency',
    type: 'number',
    env: 'TRACELAB_CONCURRENCY',
    default: 1,
    integer: true,
    min: 1,
    description: 'messages a consumer handles at once (1 makes head-of-line blocking visible)',
  },
  {
    name: 'read-ahead-ms',
    type: 'number',
    env: 'TRACELAB_READ_AHEAD_MS',
    default: DEFAULT_READ_AHEAD_MS,
    min: 0,
    max: 1000,
    description:
      'Redis Streams: a consumer reads ahead as many messages as fit in this many ms at its recent handling time, one round trip for several under load (0: one at a time; slow work never reads ahead)',
  },
  {
    name: 'export-timeout-ms',
    type: 'number',
    env: 'TRACELAB_EXPORT_TIMEOUT_MS',
    default: 10_000,
    integer: true,
    min: 100,
    description: 'time limit of one try to send a batch of spans to the collector',
  },
  {
    name: 'export-retry-ms',
    type: 'number',
    env: 'TRACELAB_EXPORT_RETRY_MS',
    default: 120_000,
    integer: true,
    min: 0,
    description:
      'how long a batch of spans the collector did not take is retried (with backoff) before its spans count as dropped',
  },
  {
    name: 'dropped-spans-log-ms',
    type: 'number',
    env: 'TRACELAB_DROPPED_SPANS_LOG_MS',
    default: 15_000,
    integer: true,
    min: 0,
    description: 'the least time between two log lines that report spans given up on',
  },
  {
    name: 'stop-grace-ms',
    type: 'number',
    env: 'TRACELAB_STOP_GRACE_MS',
    default: 15_000,
    integer: true,
    min: 0,
    description:
      'on stop, how long a consumer may finish the messages in hand; past it they are left pending, to be delivered again',
  },
  {
    name: 'log-level',
    type: 'string',
    env: 'TRACELAB_LOG_LEVEL',
    default: 'info',
    choices: LOG_LEVELS,
    description: 'the least level of the log lines a service writes',
  },
  {
    name: 'max-deliveries',
    type: 'number',
    env: 'TRACELAB_MAX_DELIVERIES',
    default: 5,
    integer: true,
    min: 1,
    description:
      'deliveries of a failing message before a consumer sets it aside on <topic>.dlq (see tracelab dlq)',
  },
  {
    name: 'max-dependency-deliveries',
    type: 'number',
    env: 'TRACELAB_MAX_DEPENDENCY_DELIVERIES',
    default: 50,
    integer: true,
    min: 1,
    description:
      'deliveries of a message that failed only because a dependency was down (inventory unreachable, its breaker open) before it is set aside on <topic>.dlq: such failures do not count towards --max-deliveries, but a dependency that never comes back must not redeliver forever',
  },
  {
    name: 'fault',
    type: 'list',
    env: 'TRACELAB_FAULTS',
    default: [],
    description:
      'inject a fault, <service>.<kind>=<value>: processing.crash=0.05, notification.latency=2s, analytics.error=0.1, processing.leak=1MB, api.duplicate=10, processing.propagation=drop, inventory.n_plus_one=20, inventory.db_pool=1, inventory.slow_query=on, inventory.lock=on, inventory.latency_share=0.2 (the latency on that share of the handlings only) (repeat or comma-separate; switch at run time with tracelab fault)',
  },
  {
    name: 'tracing',
    type: 'string',
    env: 'TRACELAB_TRACING',
    default: 'on',
    choices: ['on', 'off'],
    description:
      'off: no OpenTelemetry SDK, no spans, nothing exported (to measure what tracing costs)',
  },
  {
    name: 'otlp-endpoint',
    type: 'string',
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    default: DEFAULT_OTLP_URL,
    description: 'where spans are sent (OTLP/HTTP base URL)',
  },
  ...inventoryOptions(),
  ...propagationOptions(),
];

/** How a message's trace context carries over to its consumer. */
function propagationOptions(): OptionSpec[] {
  return [
    {
      name: 'propagation',
      type: 'string',
      env: 'TRACELAB_PROPAGATION',
      default: 'child',
      choices: PROPAGATION_MODES,
      description:
        "child: a consumer's process span is a child of the producer's send span (one trace per order); link: each consumer starts a new trace whose root links to the send span (FOLLOWS_FROM; the collector stitches the chain back together)",
    },
  ];
}

/**
 * Inventory's options and processing's call to it. `up` decides the ports, the URLs and the
 * database itself, so it hands these down per service rather than passing them through.
 */
function inventoryOptions(): OptionSpec[] {
  return [
    portOption({
      name: 'inventory-port',
      env: 'TRACELAB_INVENTORY_PORT',
      default: DEFAULT_INVENTORY_PORT,
      description: 'inventory service HTTP port (0: any free port)',
    }),
    {
      name: 'inventory-url',
      type: 'list',
      env: 'INVENTORY_URL',
      default: [],
      description:
        'processing: the inventory replicas it reserves each order with, round-robin (repeat or comma-separate; none: no reservation)',
    },
    {
      name: 'inventory-timeout-ms',
      type: 'number',
      env: 'TRACELAB_INVENTORY_TIMEOUT_MS',
      default: 2000,
      integer: true,
      min: 50,
      max: 60_000,
      description:
        'processing: how long one attempt of a call to inventory may take, connecting included; past it the attempt fails (and is retried, see --inventory-retries)',
    },
    ...inventoryPolicyOptions(),
    {
      name: 'database-url',
      type: 'string',
      env: 'DATABASE_URL',
      description:
        'inventory: the PostgreSQL it keeps stock in, e.g. postgres://postgres@127.0.0.1:5432/tracelab (tracelab up starts one when none is named)',
    },
    {
      name: 'database-pool',
      type: 'number',
      env: 'TRACELAB_DATABASE_POOL',
      default: 10,
      integer: true,
      min: 1,
      max: 100,
      description:
        'inventory: connections in its database pool (inventory.db_pool=N changes it at run time)',
    },
  ];
}

/**
 * The policies around processing's call to inventory (cockatiel's): the flags' values; each
 * is switched at run time with `tracelab resilience set` (see workload/resilience.ts).
 */
function inventoryPolicyOptions(): OptionSpec[] {
  const num = (name: string, def: number, max: number, description: string): OptionSpec => ({
    name,
    type: 'number',
    env: `TRACELAB_${name.toUpperCase().replace(/-/g, '_')}`,
    default: def,
    integer: true,
    min: 0,
    max,
    description: `processing: ${description} (run time: tracelab resilience set)`,
  });
  return [
    num(
      'inventory-retries',
      2,
      10,
      'attempts after the first when a call to inventory fails (5xx, unreachable, timed out); 0: none',
    ),
    num(
      'inventory-backoff-ms',
      50,
      60_000,
      'mean wait before the first retry; each next one doubles it, with jitter',
    ),
    num(
      'inventory-breaker-failures',
      5,
      1000,
      'consecutive failed attempts that open the circuit breaker: calls are then refused at once; 0: no breaker',
    ),
    num(
      'inventory-breaker-pause-ms',
      5000,
      600_000,
      'how long an open breaker refuses before it lets one call through (half-open); 0: no breaker',
    ),
    num(
      'inventory-bulkhead',
      16,
      1000,
      'calls to inventory at once per processing replica; more wait in a small queue, past it they are refused; 0: no limit',
    ),
  ];
}
