import { hashedItemId } from './catalogue.js';
import { DATABASE_ERRORS, DatabaseError } from './errors.js';
import { LOOKUP_INDEX, LOOKUP_INDEX_DDL } from './schema.js';
import type { Database, Queryable } from './types.js';

export interface ReserveRequest {
  readonly orderId: string;
  readonly item: string;
  readonly quantity: number;
}

export interface Reservation {
  readonly orderId: string;
  readonly sku: string;
  readonly quantity: number;
  readonly status: 'reserved' | 'out_of_stock';
  /** An earlier call for this order decided it; this one changed nothing. */
  readonly repeated: boolean;
}

/** How a reservation is made worse on purpose (the inventory faults). */
export interface ReserveVariant {
  /** Read N stock rows one query each instead of all in one query (the N+1 pattern). */
  readonly nPlusOne?: number;
  /** Also update one hot counter row early in the transaction, held until commit. */
  readonly hotRowLock?: boolean;
}

export interface InventoryRepository {
  /** Idempotent by order id, in one transaction. */
  reserve(r: ReserveRequest, v?: ReserveVariant): Promise<Reservation>;
  /** Drops (false) or recreates (true) the index the stock lookup reads by. */
  setLookupIndex(present: boolean): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Recent movements the lookup reads for an item. */
const RECENT_MOVEMENTS = 20;
/** Serialises index changes made by replicas at once (CREATE INDEX IF NOT EXISTS races). */
const INDEX_LOCK_KEY = 0x7472_6164;

interface StockRow {
  warehouse_id: number;
  quantity: number;
}

/** The item's stock rows, at once or (the N+1 fault) one query per warehouse. */
async function stockRows(
  q: Queryable,
  itemId: number,
  nPlusOne: number | undefined,
): Promise<StockRow[]> {
  if (!nPlusOne) {
    const all = await q.query<StockRow>(
      'SELECT warehouse_id, quantity FROM stock WHERE item_id = $1 ORDER BY warehouse_id',
      [itemId],
    );
    return all.rows;
  }
  // The N+1 pattern: one query for the keys, then one query per row.
  const keys = await q.query<{ id: number }>('SELECT id FROM warehouses ORDER BY id');
  const ids = keys.rows.map((r) => r.id);
  const rows = new Map<number, StockRow>();
  for (let i = 0; i < nPlusOne && ids.length > 0; i++) {
    const warehouseId = ids[i % ids.length] as number;
    const one = await q.query<StockRow>(
      'SELECT warehouse_id, quantity FROM stock WHERE item_id = $1 AND warehouse_id = $2',
      [itemId, warehouseId],
    );
    if (one.rows[0]) rows.set(warehouseId, one.rows[0]);
  }
  return [...rows.values()];
}

export function createInventoryRepository(db: Database): InventoryRepository {
  // The catalogue is seeded once and never changes: its size is read once.
  let catalogueSize: Promise<number> | undefined;
  const sizeOf = (q: Queryable): Promise<number> => {
    catalogueSize ??= q
      .query<{ n: number }>('SELECT count(*)::int AS n FROM items')
      .then((r) => r.rows[0]?.n ?? 0)
      .catch((err: unknown) => {
        catalogueSize = undefined;
        throw err;
      });
    return catalogueSize;
  };

  async function itemFor(q: Queryable, text: string): Promise<{ id: number; sku: string }> {
    const byName = await q.query<{ id: number; sku: string }>(
      'SELECT id, sku FROM items WHERE name = $1 ORDER BY id LIMIT 1',
      [text],
    );
    if (byName.rows[0]) return byName.rows[0];
    const size = await sizeOf(q);
    if (size === 0) {
      throw new DatabaseError(
        DATABASE_ERRORS.DB_ERR_QUERY,
        'the catalogue is empty: run migrate first',
      );
    }
    const byHash = await q.query<{ id: number; sku: string }>(
      'SELECT id, sku FROM items WHERE id = $1',
      [hashedItemId(text, size)],
    );
    const row = byHash.rows[0];
    if (!row)
      throw new DatabaseError(DATABASE_ERRORS.DB_ERR_QUERY, 'the catalogue has gaps in its ids');
    return row;
  }

  return {
    async reserve(r, v = {}) {
      checkRequest(r, v);
      return db.transaction(async (q) => {
        if (v.hotRowLock) {
          // Every order updates the same row: each transaction waits for the one before.
          await q.query("UPDATE counters SET value = value + 1 WHERE name = 'reservations'");
        }
        const item = await itemFor(q, r.item);
        const inserted = await q.query(
          `INSERT INTO reservations (order_id, item_id, quantity, status)
             VALUES ($1, $2, $3, 'reserved') ON CONFLICT (order_id) DO NOTHING`,
          [r.orderId, item.id, r.quantity],
        );
        if (inserted.rowCount === 0) return earlier(q, r.orderId);
        const stock = await stockRows(q, item.id, v.nPlusOne);
        // The lookup: the item's recent movements, by the indexed column.
        await q.query(
          `SELECT count(*)::int AS n, max(at) AS last FROM (
             SELECT at FROM stock_movements WHERE item_id = $1 ORDER BY at DESC LIMIT ${RECENT_MOVEMENTS}
           ) AS recent`,
          [item.id],
        );
        const candidates = stock
          .filter((s) => s.quantity >= r.quantity)
          .sort((a, b) => b.quantity - a.quantity);
        for (const c of candidates) {
          // Checked again under the row lock: a concurrent order may have taken the stock.
          const taken = await q.query(
            `UPDATE stock SET quantity = quantity - $3
               WHERE item_id = $1 AND warehouse_id = $2 AND quantity >= $3`,
            [item.id, c.warehouse_id, r.quantity],
          );
          if (taken.rowCount === 1) {
            await q.query(
              'INSERT INTO stock_movements (item_id, warehouse_id, delta, at) VALUES ($1, $2, $3, now())',
              [item.id, c.warehouse_id, -r.quantity],
            );
            return {
              orderId: r.orderId,
              sku: item.sku,
              quantity: r.quantity,
              status: 'reserved',
              repeated: false,
            };
          }
        }
        await q.query("UPDATE reservations SET status = 'out_of_stock' WHERE order_id = $1", [
          r.orderId,
        ]);
        return {
          orderId: r.orderId,
          sku: item.sku,
          quantity: r.quantity,
          status: 'out_of_stock',
          repeated: false,
        };
      });
    },

    async setLookupIndex(present) {
      await db.transaction(async (q) => {
        await q.query('SELECT pg_advisory_xact_lock($1)', [INDEX_LOCK_KEY]);
        await q.query(present ? LOOKUP_INDEX_DDL : `DROP INDEX IF EXISTS ${LOOKUP_INDEX}`);
      });
    },
  };
}

/** The reservation an earlier call made for this order. */
async function earlier(q: Queryable, orderId: string): Promise<Reservation> {
  const found = await q.query<{ sku: string; quantity: number; status: Reservation['status'] }>(
    `SELECT i.sku, r.quantity, r.status FROM reservations r JOIN items i ON i.id = r.item_id
      WHERE r.order_id = $1`,
    [orderId],
  );
  const row = found.rows[0];
  if (!row)
    throw new DatabaseError(DATABASE_ERRORS.DB_ERR_QUERY, `reservation ${orderId} vanished`);
  return { orderId, sku: row.sku, quantity: row.quantity, status: row.status, repeated: true };
}

function checkRequest(r: ReserveRequest, v: ReserveVariant): void {
  const bad = (message: string): never => {
    throw new DatabaseError(DATABASE_ERRORS.DB_ERR_BAD_INPUT, message);
  };
  if (typeof r.orderId !== 'string' || !UUID.test(r.orderId))
    bad(`orderId must be a UUID, not ${JSON.stringify(r.orderId)}`);
  if (typeof r.item !== 'string' || r.item.length === 0) bad('item must be a non-empty text');
  if (!Number.isInteger(r.quantity) || r.quantity < 1 || r.quantity > 2_147_483_647) {
    bad(`quantity must be a whole number of 1 or more, not ${r.quantity}`);
  }
  if (v.nPlusOne !== undefined && (!Number.isInteger(v.nPlusOne) || v.nPlusOne < 0)) {
    bad(`nPlusOne must be a whole number of 0 or more, not ${v.nPlusOne}`);
  }
}
