import type { Command } from './command.js';

/**
 * Every command, by the name it is run by. Its summary, usage and options are the command's
 * own (see `defineCommand`): the list of commands loads each one to show them.
 */
export interface CommandEntry {
  readonly name: string;
  /** Loaded lazily: `tracelab service` sets up telemetry before instrumented modules load. */
  readonly load: () => Promise<Command>;
}

export const commands: readonly CommandEntry[] = [
  {
    name: 'up',
    load: async () => (await import('./up.js')).command,
  },
  {
    name: 'service',
    load: async () => (await import('./service.js')).command,
  },
  {
    name: 'collector',
    load: async () => (await import('./collector.js')).command,
  },
  {
    name: 'ui',
    load: async () => (await import('./ui.js')).command,
  },
  {
    name: 'analyze',
    load: async () => (await import('./analyze.js')).command,
  },
  {
    name: 'load',
    load: async () => (await import('./load.js')).command,
  },
  {
    name: 'exercise',
    load: async () => (await import('./exercise.js')).command,
  },
  {
    name: 'scenario',
    load: async () => (await import('./scenario.js')).command,
  },
  {
    name: 'lag',
    load: async () => (await import('./lag.js')).command,
  },
  {
    name: 'dlq',
    load: async () => (await import('./dlq.js')).command,
  },
  {
    name: 'fault',
    load: async () => (await import('./fault.js')).command,
  },
  {
    name: 'intensity',
    load: async () => (await import('./intensity.js')).command,
  },
  {
    name: 'scale',
    load: async () => (await import('./scale.js')).command,
  },
  {
    name: 'autoscale',
    load: async () => (await import('./autoscale.js')).command,
  },
  {
    name: 'resilience',
    load: async () => (await import('./resilience.js')).command,
  },
];
