import { createHash, randomInt } from 'node:crypto';
import { WorkloadError } from '../errors.js';
import type { DbOperation } from '../types.js';

/**
 * What the database operations need: the shape of the database module's `Queryable` and
 * `Database`, so a service hands its own database to the workload without this module
 * depending on it.
 */
export interface Queryable {
  query<R>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
}

export interface WorkloadDatabase extends Queryable {
  /** BEGIN, the work on one pooled connection, COMMIT (ROLLBACK when it throws). */
  transaction<T>(work: (q: Queryable) => Promise<T>): Promise<T>;
}

export interface DbResult {
  readonly operation: DbOperation;
  /** Statements sent, transaction control included. */
  readonly statements: number;
  /** Rows the statements read: rows returned by lookups, rows joined, scanned or recounted. */
  readonly rowsRead: number;
  /** db_locked_transaction: how long taking the row lock took (waiting for other holders). */
  readonly lockWaitMs?: number;
}

/** Rows of recent movements one lookup returns. */
const LOOKUP_ROWS = 10;
/** Stock rows read per page while the lock is held. */
const RECOUNT_PAGE = 100;
/** The counters row db_locked_transaction locks; its own, so it never blocks a reservation. */
const LOCK_ROW = 'workload_recount';
/** A lock wait longer than this fails the operation rather than hanging it. */
const LOCK_TIMEOUT = '10s';
/** A prime stride spreads lookups over the catalogue without repeating. */
const STRIDE = 7919;

/** Runs one database operation on the inventory schema; every statement is parameterised. */
export async function runDbOperation(
  operation: DbOperation,
  items: number,
  db: WorkloadDatabase,
): Promise<DbResult> {
  switch (operation) {
    case 'db_indexed_lookup':
      return { operation, ...(await indexedLookups(db, items)) };
    case 'db_join_aggregate':
      return { operation, ...(await joinAggregate(db, items)) };
    case 'db_table_scan':
      return { operation, ...(await tableScan(db, items)) };
    case 'db_locked_transaction':
      return { operation, ...(await lockedTransaction(db, items)) };
  }
}

interface Catalogue {
  readonly first: number;
  readonly last: number;
}

async function catalogue(db: Queryable): Promise<Catalogue> {
  const { rows } = await db.query<{ first: number | null; last: number | null }>(
    'SELECT min(id) AS first, max(id) AS last FROM items',
  );
  const row = rows[0];
  if (!row || row.first === null || row.last === null) {
    throw new WorkloadError('WL_ERR_EMPTY_CATALOGUE');
  }
  return { first: Number(row.first), last: Number(row.last) };
}

/** `db_indexed_lookup`: one round trip per item, each the recent movements of one item. */
async function indexedLookups(db: Queryable, lookups: number) {
  const { first, last } = await catalogue(db);
  const span = last - first + 1;
  const start = randomInt(span);
  let rowsRead = 0;
  for (let i = 0; i < lookups; i++) {
    const itemId = first + ((start + i * STRIDE) % span);
    const { rows } = await db.query(
      'SELECT delta, at FROM stock_movements WHERE item_id = $1 ORDER BY at DESC LIMIT $2',
      [itemId, LOOKUP_ROWS],
    );
    rowsRead += rows.length;
  }
  return { statements: 1 + lookups, rowsRead };
}

/** A window of `size` consecutive catalogue ids, starting anywhere it fits. */
function window(c: Catalogue, size: number): [from: number, to: number] {
  const room = Math.max(0, c.last - c.first + 1 - size);
  const from = c.first + randomInt(room + 1);
  return [from, Math.min(c.last, from + size - 1)];
}

/**
 * `db_join_aggregate`: stock value per category over a window of `items` catalogue items
 * (items ⋈ stock, grouped), then their movements per warehouse (a range on the movements'
 * index, grouped).
 */
async function joinAggregate(db: Queryable, items: number) {
  const [from, to] = window(await catalogue(db), items);
  const byCategory = await db.query<{ stock_rows: number }>(
    `SELECT i.category, count(*)::int AS stock_rows, sum(s.quantity)::bigint AS on_hand,
            sum(s.quantity::bigint * i.price_cents)::bigint AS value_cents
       FROM items i JOIN stock s ON s.item_id = i.id
      WHERE i.id BETWEEN $1 AND $2
      GROUP BY i.category
      ORDER BY value_cents DESC`,
    [from, to],
  );
  const byWarehouse = await db.query<{ movements: number }>(
    `SELECT m.warehouse_id, count(*)::int AS movements, sum(m.delta)::bigint AS net
       FROM stock_movements m
      WHERE m.item_id BETWEEN $1 AND $2
      GROUP BY m.warehouse_id
      ORDER BY m.warehouse_id`,
    [from, to],
  );
  const rowsRead =
    byCategory.rows.reduce((n, r) => n + Number(r.stock_rows), 0) +
    byWarehouse.rows.reduce((n, r) => n + Number(r.movements), 0);
  return { statements: 3, rowsRead };
}

/**
 * `db_table_scan`: a report no index serves: the movements table read in storage order,
 * `rows` rows of it, summed per warehouse. A table smaller than that is read again.
 */
async function tableScan(db: Queryable, rows: number) {
  let rowsRead = 0;
  let statements = 0;
  while (rowsRead < rows) {
    const { rows: perWarehouse } = await db.query<{ movements: number }>(
      `SELECT m.warehouse_id, count(*)::int AS movements, sum(m.delta)::bigint AS net,
              count(DISTINCT m.item_id)::int AS items
         FROM (SELECT warehouse_id, item_id, delta FROM stock_movements LIMIT $1) m
        GROUP BY m.warehouse_id`,
      [rows - rowsRead],
    );
    statements++;
    const read = perWarehouse.reduce((n, r) => n + Number(r.movements), 0);
    if (read === 0) break; // an empty table: nothing more to read
    rowsRead += read;
  }
  return { statements, rowsRead };
}

interface MovementSum {
  readonly item_id: number;
  readonly warehouse_id: number;
  readonly movements: number;
  /** bigint: a string from the driver. */
  readonly net: string;
}

interface StockRow {
  readonly item_id: number;
  readonly warehouse_id: number;
  readonly quantity: number;
}

/**
 * `db_locked_transaction`: a stock recount that holds a row lock while it works. In one
 * transaction: lock this operation's counters row (taking it waits for any other recount),
 * then page through `rows` stock rows (from a random item, wrapping around), sum each page's
 * movements beside the stock, hashing what was checked; commit releases the lock.
 */
async function lockedTransaction(db: WorkloadDatabase, rows: number) {
  const { first, last } = await catalogue(db);
  return db.transaction(async (q) => {
    await q.query('SELECT set_config($1, $2, true)', ['lock_timeout', LOCK_TIMEOUT]);
    const t0 = performance.now();
    await q.query(
      `INSERT INTO counters (name, value) VALUES ($1, 1)
       ON CONFLICT (name) DO UPDATE SET value = counters.value + 1
       RETURNING value`,
      [LOCK_ROW],
    );
    const lockWaitMs = performance.now() - t0;
    let statements = 5; // catalogue, BEGIN, set_config, the lock, COMMIT
    let stockRows = 0;
    let movementRows = 0;
    let wrapped = false;
    let after: [number, number] = [first + randomInt(last - first + 1) - 1, 0];
    const hash = createHash('sha256');
    while (stockRows < rows) {
      const page = await q.query<StockRow>(
        `SELECT item_id, warehouse_id, quantity FROM stock
          WHERE (item_id, warehouse_id) > ($1, $2)
          ORDER BY item_id, warehouse_id
          LIMIT $3`,
        [after[0], after[1], Math.min(RECOUNT_PAGE, rows - stockRows)],
      );
      statements++;
      if (page.rows.length === 0) {
        if (wrapped) break; // read from the start and found nothing: no stock at all
        wrapped = true;
        after = [first - 1, 0];
        continue;
      }
      wrapped = false;
      const lastRow = page.rows[page.rows.length - 1]!;
      const sums = await q.query<MovementSum>(
        `SELECT item_id, warehouse_id, count(*)::int AS movements, sum(delta)::bigint AS net
           FROM stock_movements
          WHERE item_id BETWEEN $1 AND $2
          GROUP BY item_id, warehouse_id`,
        [page.rows[0]!.item_id, lastRow.item_id],
      );
      statements++;
      const net = new Map(sums.rows.map((r) => [`${r.item_id}/${r.warehouse_id}`, r.net]));
      for (const r of page.rows) {
        const key = `${r.item_id}/${r.warehouse_id}`;
        hash.update(`${key}:${r.quantity}:${net.get(key) ?? 0}\n`);
      }
      stockRows += page.rows.length;
      movementRows += sums.rows.reduce((n, r) => n + Number(r.movements), 0);
      after = [lastRow.item_id, lastRow.warehouse_id];
    }
    hash.digest();
    return { statements, rowsRead: stockRows + movementRows, lockWaitMs };
  });
}
