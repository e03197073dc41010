import { createInventoryRepository } from '../../database/index.js';
import type { Database } from '../../database/index.js';
import type { StockBackend } from './types.js';

/** Inventory's stock in a database: the repository's reservations and the pool's controls. */
export function stockBackend(db: Database): StockBackend {
  const repository = createInventoryRepository(db);
  return {
    reserve: (r, v) => repository.reserve(r, v),
    setLookupIndex: (present) => repository.setLookupIndex(present),
    resizePool: (n) => db.resizePool(n),
    ping: () => db.ping(),
  };
}
