import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import {
  LOOKUP_INDEX,
  connectDatabase,
  createInventoryRepository,
  migrate,
} from '../../src/database/index.js';
import type { Database } from '../../src/database/index.js';
import { createTestDatabase, recording } from '../helpers/postgres.js';
import type { TestDatabase } from '../helpers/postgres.js';

// A small catalogue: the schema and its behaviour, not the seed's size, are under test.
const SEED = { catalogueSize: 50, movementsPerItem: 10 };

let tdb: TestDatabase;
let db: Database;
before(async () => {
  tdb = await createTestDatabase();
  db = await connectDatabase({ url: tdb.url, poolSize: 12 });
  await migrate(db, SEED);
});
after(async () => {
  await db?.close();
  await tdb?.drop();
});

async function stockOf(sku: string): Promise<number> {
  const r = await db.query<{ total: number }>(
    'SELECT sum(s.quantity)::int AS total FROM stock s JOIN items i ON i.id = s.item_id WHERE i.sku = $1',
    [sku],
  );
  return r.rows[0]?.total ?? -1;
}

test('migrate seeds the catalogue once; a second migrate changes nothing', async () => {
  const count = async (table: string) =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]?.n;
  assert.equal(await count('items'), 50);
  assert.equal(await count('warehouses'), 8);
  assert.equal(await count('stock'), 400);
  assert.equal(await count('stock_movements'), 500);
  const versions = await db.query<{ version: number }>(
    'SELECT version FROM schema_migrations ORDER BY version',
  );
  assert.deepEqual(
    versions.rows.map((r) => r.version),
    [1, 2],
  );
  // Other sizes on a migrated database: nothing more is seeded.
  await migrate(db, { catalogueSize: 70, movementsPerItem: 3 });
  assert.equal(await count('items'), 50);
  assert.equal(await count('stock_movements'), 500);
});

test('two migrates at once on a new database: one does the work, neither fails', async () => {
  const fresh = await createTestDatabase();
  const [a, b] = await Promise.all([
    connectDatabase({ url: fresh.url, poolSize: 2 }),
    connectDatabase({ url: fresh.url, poolSize: 2 }),
  ]);
  try {
    await Promise.all([migrate(a, SEED), migrate(b, SEED)]);
    const items = await a.query<{ n: number }>('SELECT count(*)::int AS n FROM items');
    assert.equal(items.rows[0]?.n, 50);
    const versions = await a.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM schema_migrations',
    );
    assert.equal(versions.rows[0]?.n, 2);
  } finally {
    await Promise.all([a.close(), b.close()]);
    await fresh.drop();
  }
});

test('an item by its exact name, else by a stable hash of the text: every order reserves something', async () => {
  const repo = createInventoryRepository(db);
  const named = await db.query<{ name: string; sku: string }>(
    'SELECT name, sku FROM items WHERE id = 7',
  );
  const row = named.rows[0];
  assert.ok(row);
  const byName = await repo.reserve({ orderId: randomUUID(), item: row.name, quantity: 1 });
  assert.equal(byName.sku, row.sku);
  const free1 = await repo.reserve({ orderId: randomUUID(), item: 'a blue teapot', quantity: 1 });
  const free2 = await repo.reserve({ orderId: randomUUID(), item: 'a blue teapot', quantity: 1 });
  assert.match(free1.sku, /^SKU-\d{6}$/);
  assert.equal(free2.sku, free1.sku);
  assert.equal(free1.status, 'reserved');
});

test('reserving twice for one order reserves once', async () => {
  const repo = createInventoryRepository(db);
  const order = { orderId: randomUUID(), item: 'garden gnome', quantity: 3 };
  const first = await repo.reserve(order);
  const stockAfterFirst = await stockOf(first.sku);
  const second = await repo.reserve(order);
  assert.deepEqual(first, {
    orderId: order.orderId,
    sku: first.sku,
    quantity: 3,
    status: 'reserved',
    repeated: false,
  });
  assert.deepEqual(second, { ...first, repeated: true });
  assert.equal(await stockOf(first.sku), stockAfterFirst);
});

test('ten calls at once for one order take the stock once', async () => {
  const repo = createInventoryRepository(db);
  const order = { orderId: randomUUID(), item: 'a crowded item', quantity: 5 };
  const probe = await repo.reserve({ orderId: randomUUID(), item: order.item, quantity: 1 });
  const before = await stockOf(probe.sku);
  const results = await Promise.all(Array.from({ length: 10 }, () => repo.reserve(order)));
  assert.equal(results.filter((r) => !r.repeated).length, 1);
  assert.ok(results.every((r) => r.status === 'reserved' && r.sku === probe.sku));
  assert.equal(await stockOf(probe.sku), before - 5);
  const rows = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM reservations WHERE order_id = $1',
    [order.orderId],
  );
  assert.equal(rows.rows[0]?.n, 1);
});

test('more than any warehouse holds: out_of_stock, nothing taken, and a repeat says the same', async () => {
  const repo = createInventoryRepository(db);
  const order = { orderId: randomUUID(), item: 'an enormous order', quantity: 1_000_000 };
  const probe = await repo.reserve({ orderId: randomUUID(), item: order.item, quantity: 1 });
  const before = await stockOf(probe.sku);
  const r = await repo.reserve(order);
  assert.equal(r.status, 'out_of_stock');
  assert.equal(await stockOf(probe.sku), before);
  assert.deepEqual(await repo.reserve(order), { ...r, repeated: true });
});

test('nPlusOne=N reads the stock with N single-row queries instead of one', async () => {
  const rec = recording(db);
  const repo = createInventoryRepository(rec.db);
  const singleRow = (s: string) => /FROM stock WHERE item_id = \$1 AND warehouse_id = \$2/.test(s);
  const allRows = (s: string) => /FROM stock WHERE item_id = \$1 ORDER BY/.test(s);
  await repo.reserve({ orderId: randomUUID(), item: 'n plus one', quantity: 1 });
  assert.equal(rec.statements.filter(singleRow).length, 0);
  assert.equal(rec.statements.filter(allRows).length, 1);
  rec.statements.length = 0;
  const r = await repo.reserve(
    { orderId: randomUUID(), item: 'n plus one', quantity: 1 },
    { nPlusOne: 12 },
  );
  assert.equal(r.status, 'reserved');
  assert.equal(rec.statements.filter(singleRow).length, 12);
  assert.equal(rec.statements.filter(allRows).length, 0);
});

test('hotRowLock bumps the one counter row in every reservation', async () => {
  const repo = createInventoryRepository(db);
  const read = async () =>
    Number(
      (await db.query<{ value: string }>("SELECT value FROM counters WHERE name = 'reservations'"))
        .rows[0]?.value,
    );
  const before = await read();
  await Promise.all(
    Array.from({ length: 4 }, () =>
      repo.reserve({ orderId: randomUUID(), item: 'hot row', quantity: 1 }, { hotRowLock: true }),
    ),
  );
  assert.equal(await read(), before + 4);
});

test('setLookupIndex drops the lookup index and puts it back', async () => {
  const repo = createInventoryRepository(db);
  const present = async () =>
    (await db.query('SELECT 1 FROM pg_indexes WHERE indexname = $1', [LOOKUP_INDEX])).rowCount ===
    1;
  assert.equal(await present(), true);
  await repo.setLookupIndex(false);
  assert.equal(await present(), false);
  await repo.setLookupIndex(false);
  const r = await repo.reserve({ orderId: randomUUID(), item: 'without index', quantity: 1 });
  assert.equal(r.status, 'reserved');
  await Promise.all([repo.setLookupIndex(true), repo.setLookupIndex(true)]);
  assert.equal(await present(), true);
});

test('bad input is a coded error before any statement', async () => {
  const repo = createInventoryRepository(db);
  await assert.rejects(repo.reserve({ orderId: 'nope', item: 'x', quantity: 1 }), {
    code: 'DB_ERR_BAD_INPUT',
  });
  await assert.rejects(repo.reserve({ orderId: randomUUID(), item: 'x', quantity: 0 }), {
    code: 'DB_ERR_BAD_INPUT',
  });
});
