import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { startCollector } from '../../src/collector/index.js';
import type { RunningCollector } from '../../src/collector/index.js';
import { connectDatabase, createInventoryRepository, migrate } from '../../src/database/index.js';
import type { Database } from '../../src/database/index.js';
import { startTelemetry } from '../../src/telemetry/index.js';
import type { Telemetry } from '../../src/telemetry/index.js';
import { getTrace, parentOf, tag } from '../helpers/jaeger.js';
import type { JaegerSpan } from '../helpers/jaeger.js';
import { createTestDatabase } from '../helpers/postgres.js';
import type { TestDatabase } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait.js';

// The real path: the service's SDK set-up (sdk.ts), pg loaded after it by the database module,
// spans over OTLP into the collector, read back through its Jaeger API.
let collector: RunningCollector;
let telemetry: Telemetry;
let tdb: TestDatabase;
let db: Database;
before(async () => {
  collector = await startCollector({ host: '127.0.0.1', otlpPort: 0, httpPort: 0 });
  telemetry = await startTelemetry({
    serviceName: 'inventory-service',
    instanceId: 'inventory-service-1',
    otlpEndpoint: collector.otlpUrl.replace(/\/v1\/traces$/, ''),
    export: { attemptTimeoutMs: 2000, retryBudgetMs: 5000, droppedReportMs: 60_000 },
  });
  tdb = await createTestDatabase();
  db = await connectDatabase({ url: tdb.url, poolSize: 2 });
  await migrate(db, { catalogueSize: 20, movementsPerItem: 5 });
});
after(async () => {
  await db?.close();
  await tdb?.drop();
  await telemetry?.shutdown();
  await collector?.close();
});

test('a reservation under a stage span: a CLIENT span per statement with the database conventions, and the pool wait', async () => {
  const repo = createInventoryRepository(db);
  const orderId = randomUUID();
  const tracer = telemetry.tracer;
  const traceId = await tracer.startActiveSpan('reserve_stock', async (span) => {
    try {
      await repo.reserve({ orderId, item: 'a traced teapot', quantity: 2 }, { nPlusOne: 5 });
      return span.spanContext().traceId;
    } finally {
      span.end();
    }
  });
  await telemetry.flush();
  const trace = await waitFor(
    `trace ${traceId}`,
    async () => {
      const t = await getTrace(collector.queryUrl, traceId);
      return t?.spans.some((s) => s.operationName.startsWith('pg.query:COMMIT')) ? t : undefined;
    },
    10_000,
    200,
  );
  const stage = trace.spans.find((s) => s.operationName === 'reserve_stock');
  assert.ok(stage);
  const queries = trace.spans.filter(
    (s) => tag(s, 'db.system.name') === 'postgresql' && s.operationName.startsWith('pg.query'),
  );
  const text = (s: JaegerSpan) => String(tag(s, 'db.query.text'));

  // BEGIN, the item, the insert, the keys, five reads, the lookup, the update, its movement, COMMIT.
  assert.ok(queries.length >= 13, `${queries.length} statements`);
  // Every statement: the stable names, a client span under the stage, no values.
  for (const q of queries) {
    assert.equal(tag(q, 'span.kind'), 'client', q.operationName);
    assert.equal(tag(q, 'db.namespace'), tdb.name);
    assert.equal(tag(q, 'server.address'), '127.0.0.1');
    assert.equal(tag(q, 'db.operation.name'), text(q).trim().split(/\s/)[0]?.toUpperCase());
    assert.equal(parentOf(trace, q)?.spanID, stage.spanID, `${text(q)} is the stage's child`);
    assert.ok(!JSON.stringify(q.tags).includes(orderId), 'the order id (a value) is on no span');
    assert.equal(tag(q, 'db.postgresql.values'), undefined);
  }
  const ops = queries.map((q) => tag(q, 'db.operation.name'));
  assert.equal(ops[0], 'BEGIN');
  assert.equal(ops.at(-1), 'COMMIT');
  assert.ok(ops.includes('INSERT') && ops.includes('UPDATE'));

  // The N+1 reads: five statements alike, parameterised, one row each.
  const perRow = queries.filter((q) =>
    /FROM stock WHERE item_id = \$1 AND warehouse_id = \$2$/.test(text(q)),
  );
  assert.equal(perRow.length, 5);
  for (const q of perRow) assert.equal(tag(q, 'db.response.returned_rows'), 1);
  const warehouses = queries.find((q) => text(q) === 'SELECT id FROM warehouses ORDER BY id');
  assert.equal(warehouses && tag(warehouses, 'db.response.returned_rows'), 8);

  // Taking a connection from the pool is a span of its own, before the statements.
  const connects = trace.spans.filter((s) => s.operationName === 'pg-pool.connect');
  assert.equal(connects.length, 1);
  assert.equal(parentOf(trace, connects[0] as JaegerSpan)?.spanID, stage.spanID);
  assert.equal(tag(connects[0] as JaegerSpan, 'db.system.name'), 'postgresql');
});
