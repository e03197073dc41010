import type { Reservation, ReserveRequest, ReserveVariant } from '../../database/index.js';

export type { Reservation, ReserveRequest, ReserveVariant } from '../../database/index.js';

/**
 * What inventory's app needs of its database: the repository's reservation and index
 * switch, the pool's size and ping. An interface, so the app can be built over a stand-in.
 */
export interface StockBackend {
  reserve(r: ReserveRequest, v?: ReserveVariant): Promise<Reservation>;
  /** `inventory.slow_query`: drop (false) or recreate (true) the lookup's index. */
  setLookupIndex(present: boolean): Promise<void>;
  /** `inventory.db_pool`: the pool's size. */
  resizePool(n: number): Promise<void>;
  /** Resolves when the database answers; throws quickly when it does not. */
  ping(): Promise<void>;
}
