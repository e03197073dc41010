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
    name: 'lag',
    summary: 'consumer lag per group on Redis Streams or Kafka',
    load: async () => (await import('./lag.js')).command,
  },
];
