import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseCommandLine } from '../../src/config/index.js';
import { connectDatabase, migrate } from '../../src/database/index.js';
import type { Database } from '../../src/database/index.js';
import { createWorkload, workloadOptions, workloadSettingsFrom } from '../../src/workload/index.js';
import { runDbOperation } from '../../src/workload/operations/db.js';
import type { WorkloadDatabase } from '../../src/workload/operations/db.js';
import { createTestDatabase, recording } from '../helpers/postgres.js';
import type { TestDatabase } from '../helpers/postgres.js';
import { memoryTracing, testRedis } from '../helpers/workload-env.js';

// 50 items × 8 warehouses = 400 stock rows; 50 × 20 = 1000 movements, 20 per item.
const SEED = { catalogueSize: 50, movementsPerItem: 20 };

const tracing = memoryTracing();
const env = testRedis();
let tdb: TestDatabase;
let db: Database;
before(async () => {
  tdb = await createTestDatabase();
  db = await connectDatabase({ url: tdb.url, poolSize: 4 });
  await migrate(db, SEED);
});
after(async () => {
  await db?.close();
  await tdb?.drop();
  await env.cleanup();
  await tracing.shutdown();
});

test('each database operation reads what it says, with a fixed set of parameterised statements', async () => {
  const r = recording(db);
  const lookups = await runDbOperation('db_indexed_lookup', 7, r.db);
  // One catalogue query, then one lookup per item, 10 recent movements each.
  assert.deepEqual(lookups, { operation: 'db_indexed_lookup', statements: 8, rowsRead: 70 });
  const joined = await runDbOperation('db_join_aggregate', 20, r.db);
  // 20 items: 160 stock rows joined, and their 400 movements.
  assert.deepEqual(joined, { operation: 'db_join_aggregate', statements: 3, rowsRead: 560 });
  const scanned = await runDbOperation('db_table_scan', 2500, r.db);
  // The 1000-row table read two and a half times.
  assert.deepEqual(scanned, { operation: 'db_table_scan', statements: 3, rowsRead: 2500 });
  const recount = await runDbOperation('db_locked_transaction', 250, r.db);
  assert.equal(recount.operation, 'db_locked_transaction');
  assert.equal(typeof recount.lockWaitMs, 'number');
  // 250 stock rows in 3 pages (100, 100, 50), each page's movements summed beside it.
  assert.ok(recount.rowsRead >= 250 + 250 * 2, `rows read ${recount.rowsRead}`);
  assert.ok(recount.statements >= 5 + 6, `statements ${recount.statements}`);
  // Values never go into the text: whatever the items and the random start, the same few
  // statements, each with its values as parameters.
  const texts = new Set(r.statements);
  const before = texts.size;
  await runDbOperation('db_indexed_lookup', 15, r.db);
  await runDbOperation('db_join_aggregate', 7, r.db);
  await runDbOperation('db_table_scan', 300, r.db);
  await runDbOperation('db_locked_transaction', 120, r.db);
  assert.equal(new Set(r.statements).size, before, 'no new statement text');
  for (const text of texts) {
    assert.doesNotMatch(text, /\b(SKU-\d|\d{2,})/, `a value in the text: ${text}`);
  }
  assert.ok(before <= 10, `${before} statement texts`);
});

test('the recount holds its row lock while it works: a second recount waits for it', async () => {
  const lockedNow = async (): Promise<boolean> => {
    try {
      await db.transaction((q) =>
        q.query('SELECT value FROM counters WHERE name = $1 FOR UPDATE NOWAIT', [
          'workload_recount',
        ]),
      );
      return false;
    } catch (err) {
      if (/could not obtain lock/.test((err as Error).message)) return true;
      throw err;
    }
  };
  // The first recount pauses at its first stock page, lock taken, until released.
  let reachedPage!: () => void;
  const atPage = new Promise<void>((resolve) => (reachedPage = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const pausing: WorkloadDatabase = {
    query: (text, values) => db.query(text, values),
    transaction: (work) =>
      db.transaction((q) =>
        work({
          async query(text, values) {
            if (/FROM stock\s+WHERE/.test(text)) {
              reachedPage();
              await released;
            }
            return q.query(text, values);
          },
        }),
      ),
  };
  const first = runDbOperation('db_locked_transaction', 150, pausing);
  await atPage;
  assert.equal(await lockedNow(), true, 'locked while the first recount works');
  const second = runDbOperation('db_locked_transaction', 150, db);
  // Wait until the second recount's backend is waiting on a lock.
  for (let i = 0; ; i++) {
    const waiting = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = $1`,
      ['Lock'],
    );
    if (waiting.rows[0]!.n > 0) break;
    assert.ok(i < 100, 'the second recount never waited on the lock');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const blockedAt = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const releasedAt = performance.now();
  release();
  const [a, b] = await Promise.all([first, second]);
  assert.equal(a.rowsRead >= 150, true);
  // The second one was seen waiting from blockedAt until the first let go.
  assert.ok(b.lockWaitMs! >= releasedAt - blockedAt, `waited ${b.lockWaitMs} ms`);
  assert.equal(await lockedNow(), false, 'released at commit');
});

test('through the runner: db_heavy spans with statements and rows; drawn from the mix with a database', async () => {
  tracing.exporter.reset();
  const w = createWorkload({
    service: 'inventory',
    settings: workloadSettingsFrom(
      parseCommandLine(workloadOptions, ['--seed', '11', '--workload-scale', '0.01'], {}).values,
    ),
    redis: env.redis,
    tracer: tracing.tracer,
    keyPrefix: env.prefix,
    database: db, // the database module's Database, as it is
  });
  try {
    for (const intensity of ['light', 'medium', 'heavy', 'severe'] as const) {
      await w.run({ type: 'db_heavy', intensity });
    }
    const spans = tracing.exporter.getFinishedSpans();
    assert.deepEqual(
      spans.map((s) => s.name),
      ['db_indexed_lookup', 'db_join_aggregate', 'db_table_scan', 'db_locked_transaction'],
    );
    for (const s of spans) {
      assert.equal(s.attributes['workload.type'], 'db_heavy');
      assert.equal(s.attributes['workload.operation'], s.name);
      assert.equal(typeof s.attributes['workload.items'], 'number');
      assert.ok((s.attributes['workload.db.statements'] as number) >= 2, s.name);
      assert.ok((s.attributes['workload.db.rows_read'] as number) >= 1, s.name);
      // And the resource figures every workload span carries.
      assert.equal(typeof s.attributes['resource.cpu.measured'], 'boolean', s.name);
      assert.equal(typeof s.attributes['resource.memory.max_mb'], 'number', s.name);
      assert.equal(typeof s.attributes['resource.samples'], 'number', s.name);
    }
    // Heavy: 50 000–150 000 rows × 0.01.
    const scan = spans[2]!.attributes;
    assert.ok((scan['workload.db.rows_read'] as number) >= 500);
    assert.equal(scan['workload.db.rows_read'], scan['workload.items']);
    assert.equal(typeof spans[3]!.attributes['workload.db.lock_wait_ms'], 'number');
    assert.equal(spans[0]!.attributes['workload.db.lock_wait_ms'], undefined);
    // The inventory mix, with a database: db_heavy half the time.
    const types = [];
    for (let i = 0; i < 30; i++) types.push((await w.run({ intensity: 'light' }))!.type);
    assert.ok(types.includes('db_heavy') && types.some((t) => t !== 'db_heavy'), types.join());
  } finally {
    await w.close();
  }
});

test('a database without the catalogue fails the operation with a clear error', async (t) => {
  const bare = await createTestDatabase();
  const bareDb = await connectDatabase({ url: bare.url, poolSize: 1 });
  t.after(async () => {
    await bareDb.close();
    await bare.drop();
  });
  await bareDb.query('CREATE TABLE items (id int)');
  await assert.rejects(runDbOperation('db_indexed_lookup', 3, bareDb), {
    code: 'WL_ERR_EMPTY_CATALOGUE',
    message: /catalogue is empty/,
  });
});
