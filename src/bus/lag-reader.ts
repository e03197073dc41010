import type { BusConfig } from './options.js';
import type { Bus, LagEntry } from './types.js';

/** Consumer lag for a process that only reads it (the collector): Bus.lag, connected lazily. */
export interface LagReader {
  readonly system: BusConfig['kind'];
  read(): Promise<LagEntry[]>;
  close(): Promise<void>;
}

/**
 * Connects on the first read, not at start: the collector must come up even when the bus is
 * not there yet. A failed connection is forgotten, so the next read tries again.
 */
export function lazyLagReader(
  config: BusConfig,
  connect: (config: BusConfig) => Promise<Bus>,
): LagReader {
  let bus: Promise<Bus> | undefined;
  let closed = false;
  return {
    system: config.kind,
    async read() {
      if (closed) throw new Error('lag reader is closed');
      bus ??= connect(config).catch((err: unknown) => {
        bus = undefined;
        throw err;
      });
      return (await bus).lag();
    },
    async close() {
      closed = true;
      const open = bus;
      bus = undefined;
      if (open) await (await open.catch(() => undefined))?.close();
    },
  };
}
