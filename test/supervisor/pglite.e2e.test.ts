import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import {
  LOOKUP_INDEX,
  connectDatabase,
  createInventoryRepository,
  migrate,
} from '../../src/database/index.js';
import { ensureDatabase } from '../../src/supervisor/index.js';

test('PGlite over its socket serves the pg client: migrate, reserve once per order, the faults', async () => {
  const handle = await ensureDatabase({ mode: 'pglite' });
  try {
    assert.equal(handle.kind, 'pglite');
    assert.match(handle.describe, /^PGlite/);
    // Two pools, as two replicas would have.
    const [a, b] = await Promise.all([
      connectDatabase({ url: handle.url, poolSize: 3 }),
      connectDatabase({ url: handle.url, poolSize: 3 }),
    ]);
    try {
      await Promise.all([
        migrate(a, { catalogueSize: 40, movementsPerItem: 5 }),
        migrate(b, { catalogueSize: 40, movementsPerItem: 5 }),
      ]);
      const items = await a.query<{ n: number }>('SELECT count(*)::int AS n FROM items');
      assert.equal(items.rows[0]?.n, 40);

      const repoA = createInventoryRepository(a);
      const repoB = createInventoryRepository(b);
      const order = { orderId: randomUUID(), item: 'a wasm teapot', quantity: 2 };
      const same = await Promise.all(
        Array.from({ length: 6 }, (_, i) => (i % 2 ? repoA : repoB).reserve(order)),
      );
      assert.equal(same.filter((r) => !r.repeated).length, 1);
      assert.ok(same.every((r) => r.status === 'reserved'));
      const others = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? repoA : repoB).reserve(
            { orderId: randomUUID(), item: `item ${i}`, quantity: 1 },
            { nPlusOne: 3, hotRowLock: i % 3 === 0 },
          ),
        ),
      );
      assert.ok(others.every((r) => r.status === 'reserved' && !r.repeated));
      const rows = await a.query<{ n: number }>('SELECT count(*)::int AS n FROM reservations');
      assert.equal(rows.rows[0]?.n, 11);

      await repoA.setLookupIndex(false);
      const gone = await b.query('SELECT 1 FROM pg_indexes WHERE indexname = $1', [LOOKUP_INDEX]);
      assert.equal(gone.rowCount, 0);
      await repoA.setLookupIndex(true);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  } finally {
    await handle.stop();
  }
});
