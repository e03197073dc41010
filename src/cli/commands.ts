import type { Command } from './command.js';

export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  /** Loaded lazily: `tracelab service` sets up telemetry before instrumented modules load. */
  readonly load: () => Promise<Command>;
}

export const commands: readonly CommandEntry[] = [
  {
    name: 'up',
    summary: 'start the whole system: Redis if needed, the collector and the four services',
    load: async () => (await import('./up.js')).command,
  },
  {
    name: 'service',
    summary: 'run one service: api, processing, notification or analytics',
    load: async () => (await import('./service.js')).command,
  },
  {
    name: 'collector',
    summary: 'embedded trace backend: OTLP/HTTP receiver and Jaeger-compatible query API',
    load: async () => (await import('./collector.js')).command,
  },
  {
    name: 'ui',
    summary: 'the web UI over a real Jaeger: its query API proxied, metrics and lag marked absent',
    load: async () => (await import('./ui.js')).command,
  },
  {
    name: 'analyze',
    summary: 'read traces back into findings: bottleneck, queue waits, critical path, resources',
    load: async () => (await import('./analyze.js')).command,
  },
  {
    name: 'load',
    summary: 'send orders to the API open loop and report latency percentiles and completion',
    load: async () => (await import('./load.js')).command,
  },
  {
    name: 'exercise',
    summary: "run one of the spec's six learning exercises against the running lab",
    load: async () => (await import('./exercise.js')).command,
  },
  {
    name: 'lag',
    summary: 'consumer lag per group on Redis Streams or Kafka',
    load: async () => (await import('./lag.js')).command,
  },
  {
    name: 'dlq',
    summary: 'dead letters: how many wait on each <topic>.dlq, and replaying them',
    load: async () => (await import('./dlq.js')).command,
  },
  {
    name: 'fault',
    summary: 'switch injected faults while tracelab up runs (list, set, clear)',
    load: async () => (await import('./fault.js')).command,
  },
];
