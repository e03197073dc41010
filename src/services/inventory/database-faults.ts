import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { FaultInjector } from '../../faults/index.js';
import type { Logger } from '../../telemetry/index.js';
import type { StockBackend } from './types.js';

/** How often the pool size and the lookup's index are brought in line with the faults. */
const SYNC_INTERVAL_MS = 1000;

export interface DatabaseFaultSync {
  /** Brings the pool and the index in line now (also what the timer does). */
  sync(): Promise<void>;
  stop(): void;
}

/**
 * `inventory.db_pool` and `inventory.slow_query` change the process's database, not one
 * request: a timer applies them when they change (switched with `tracelab fault`), out of any
 * trace, so a learner's traces hold orders, not this housekeeping. The index is set once at
 * start whatever it was, so one left dropped by an earlier run comes back.
 */
export function syncDatabaseFaults(
  backend: Pick<StockBackend, 'resizePool' | 'setLookupIndex'>,
  faults: FaultInjector,
  defaults: { readonly poolSize: number },
  logger: Logger,
): DatabaseFaultSync {
  let poolSize = defaults.poolSize;
  let indexPresent: boolean | undefined;
  let running: Promise<void> | undefined;
  const once = async () => {
    const f = faults.current();
    const wantPool = f.db_pool ?? defaults.poolSize;
    const wantIndex = !f.slow_query;
    if (wantPool !== poolSize) {
      await backend.resizePool(wantPool);
      logger.info(`database pool: ${wantPool} connection(s)`);
      poolSize = wantPool;
    }
    if (wantIndex !== indexPresent) {
      await backend.setLookupIndex(wantIndex);
      if (indexPresent !== undefined || !wantIndex) {
        logger.info(`lookup index ${wantIndex ? 'recreated' : 'dropped (slow_query)'}`);
      }
      indexPresent = wantIndex;
    }
  };
  const sync = () => {
    // One at a time: an index being built is not dropped half-way by the next tick.
    running ??= context.with(suppressTracing(context.active()), once).finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    // The database away: tried again on the next tick.
    sync().catch((err: unknown) => logger.debug('database faults not applied yet', { error: err }));
  }, SYNC_INTERVAL_MS);
  timer.unref();
  return {
    sync,
    stop: () => clearInterval(timer),
  };
}
