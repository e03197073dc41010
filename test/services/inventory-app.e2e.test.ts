import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { parseCommandLine } from '../../src/config/index.js';
import { connectDatabase, migrate } from '../../src/database/index.js';
import type { Database } from '../../src/database/index.js';
import { createFaultInjector } from '../../src/faults/index.js';
import { buildInventoryApp, stockBackend } from '../../src/services/inventory/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createWorkload, workloadOptions, workloadSettingsFrom } from '../../src/workload/index.js';
import type { Workload } from '../../src/workload/index.js';
import { createTestDatabase, POSTGRES_ADMIN_URL } from '../helpers/postgres.js';
import type { TestDatabase } from '../helpers/postgres.js';
import { tcpProxy } from '../helpers/tcp-proxy.js';
import type { TcpProxy } from '../helpers/tcp-proxy.js';
import { memoryTracing, testRedis } from '../helpers/workload-env.js';

/**
 * Inventory's app over real HTTP on a real PostgreSQL (a database of its own, reached through
 * a TCP proxy so the test can take the server away): what each answer is.
 */
describe('inventory over HTTP', () => {
  const tracing = memoryTracing();
  const env = testRedis();
  let tdb: TestDatabase;
  let proxy: TcpProxy;
  let db: Database;
  let workload: Workload;
  let app: FastifyInstance;
  let url: string;

  before(async () => {
    tdb = await createTestDatabase();
    const admin = new URL(POSTGRES_ADMIN_URL);
    proxy = await tcpProxy({ host: admin.hostname, port: Number(admin.port || 5432) });
    const viaProxy = new URL(tdb.url);
    viaProxy.port = String(proxy.port);
    db = await connectDatabase({ url: viaProxy.toString(), poolSize: 4, connectTimeoutMs: 1000 });
    await migrate(db, { catalogueSize: 50, movementsPerItem: 10 });
    const backend = stockBackend(db);
    workload = createWorkload({
      service: 'inventory',
      settings: workloadSettingsFrom(
        parseCommandLine(workloadOptions, ['--workload', 'none'], {}).values,
      ),
      redis: env.redis,
      tracer: tracing.tracer,
    });
    app = buildInventoryApp({
      backend,
      workload,
      tracer: tracing.tracer,
      logger: createLogger('error', () => undefined),
      faults: createFaultInjector({ service: 'inventory', base: {} }),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await app?.close();
    await workload?.close();
    await db?.close();
    await proxy?.close();
    await tdb?.drop();
    await env.cleanup();
    await tracing.shutdown();
  });

  const reserve = (body: unknown, contentType = 'application/json') =>
    fetch(`${url}/reservations`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  test('reserves once per order: the same order again is told what was decided', async () => {
    const orderId = randomUUID();
    const first = await reserve({ orderId, item: 'blue teapot', quantity: 2 });
    assert.equal(first.status, 200);
    const a = (await first.json()) as Record<string, unknown>;
    assert.equal(a.orderId, orderId);
    assert.equal(a.status, 'reserved');
    assert.equal(a.repeated, false);
    assert.equal(typeof a.sku, 'string');
    const again = (await (
      await reserve({ orderId, item: 'blue teapot', quantity: 2 })
    ).json()) as Record<string, unknown>;
    assert.deepEqual(again, { ...a, repeated: true });
    const rows = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM reservations WHERE order_id = $1',
      [orderId],
    );
    assert.equal(rows.rows[0]?.n, 1);
    const spans = tracing.exporter.getFinishedSpans().map((s) => s.name);
    assert.ok(spans.includes('reserve_stock') && spans.includes('stock_check'), spans.join());
  });

  test('a request it cannot read is a 400 with a coded error saying why', async () => {
    const cases: [unknown, RegExp][] = [
      [{ item: 'x', quantity: 1 }, /orderId/],
      [{ orderId: 'not-a-uuid', item: 'x', quantity: 1 }, /orderId/],
      [{ orderId: randomUUID(), item: 'x', quantity: 0 }, /quantity/],
      [{ orderId: randomUUID(), item: '', quantity: 1 }, /item/],
      [{ orderId: randomUUID(), item: 'x', quantity: 1, price: 3 }, /price|additional/],
      ['{"orderId": ', /JSON|Unexpected|body/i],
    ];
    for (const [body, why] of cases) {
      const res = await reserve(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      const answer = (await res.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(answer).sort(), ['code', 'error', 'message', 'statusCode']);
      assert.equal(answer.statusCode, 400);
      assert.match(String(answer.message), why, JSON.stringify(answer));
    }
    const text = await reserve('orderId=1', 'text/plain');
    assert.equal(text.status, 415);
  });

  test('with the database away: 503 quickly, health says why; back: it reserves again', async () => {
    assert.equal((await fetch(`${url}/health`)).status, 200);
    await proxy.down();
    // The pool's idle connections notice the cut, as they notice a server that stopped.
    await new Promise((r) => setTimeout(r, 200));
    try {
      const started = Date.now();
      const res = await reserve({ orderId: randomUUID(), item: 'red kettle', quantity: 1 });
      const answer = (await res.json()) as Record<string, unknown>;
      assert.equal(res.status, 503, JSON.stringify(answer));
      assert.equal(answer.code, 'ERR_DATABASE_UNREACHABLE');
      assert.equal(res.headers.get('retry-after'), '1');
      assert.ok(Date.now() - started < 5000, 'a quick answer, never a hang');
      const health = await fetch(`${url}/health`);
      assert.equal(health.status, 503);
      assert.equal(((await health.json()) as { status: string }).status, 'unavailable');
    } finally {
      await proxy.up();
    }
    const res = await reserve({ orderId: randomUUID(), item: 'red kettle', quantity: 1 });
    assert.equal(res.status, 200);
  });
});
