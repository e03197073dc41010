import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { before, describe, test } from 'node:test';
import type { Bus } from '../../src/bus/types.js';
import { decodeOrder, encodeOrder, ITEM_MAX_LENGTH } from '../../src/model/index.js';
import type { Order } from '../../src/model/index.js';
import { createAnalyticsHandler } from '../../src/services/analytics/index.js';
import { createAuditHandler } from '../../src/services/audit/index.js';
import { buildApiApp } from '../../src/services/api/index.js';
import { createNotificationHandler } from '../../src/services/notification/index.js';
import { createProcessingHandler } from '../../src/services/processing/index.js';
import { createRedisAuditLog } from '../../src/store/index.js';
import type { OrderStore } from '../../src/store/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import type { Workload } from '../../src/workload/index.js';
import { waitFor } from '../helpers/wait.js';
import { servicesWithoutSockets } from '../helpers/services-env.js';

/**
 * The four services without sockets: the API through fastify's `inject`, the consumers as
 * handlers fed through a real Redis Streams bus, with a real store.
 */
describe('services without sockets', () => {
  const adapters = servicesWithoutSockets();
  const { tracing, env } = adapters;
  const warnings: string[] = [];
  const logger = createLogger('warn', (line) => warnings.push(line));
  let bus: Bus;
  let store: OrderStore;
  let workload: Workload;

  before(() => {
    ({ bus, store, workload } = adapters);
  });

  const app = () =>
    buildApiApp({
      bus,
      store,
      workload,
      tracer: tracing.tracer,
      logger,
      ping: () => env.redis.ping().then(() => undefined),
    });
  const deps = () => ({ bus, store, workload, tracer: tracing.tracer, logger });

  test('an item of 100 family emoji (700 code points) is accepted by the API and decoded by every consumer', async () => {
    const item = '👨‍👩‍👧‍👦'.repeat(ITEM_MAX_LENGTH);
    assert.equal([...item].length, 700);
    const api = app();
    const res = await api.inject({ method: 'POST', url: '/order', payload: { item, quantity: 2 } });
    assert.equal(res.statusCode, 202, res.body);
    const { id } = res.json<{ id: string }>();

    const subscriptions = await Promise.all([
      bus.consume('orders', { group: 'p', consumer: 'p1' }, createProcessingHandler(deps())),
      bus.consume(
        'processed-orders',
        { group: 'n', consumer: 'n1' },
        createNotificationHandler(deps()),
      ),
      bus.consume(
        'notified-orders',
        { group: 'a', consumer: 'a1' },
        createAnalyticsHandler(deps()),
      ),
    ]);
    try {
      const record = await waitFor(`order ${id} completed`, async () => {
        const r = await store.get(id);
        return r?.status === 'completed' ? r : undefined;
      });
      assert.equal(record.item, item);
      assert.deepEqual((await store.totals()).items, { [item]: { orders: 1, quantity: 2 } });
      assert.deepEqual(warnings, [], 'no message was dropped');
    } finally {
      await Promise.all(subscriptions.map((s) => s.stop()));
      await api.close();
    }
  });

  test('a body in another charset than UTF-8 is refused with 415 and stores nothing', async () => {
    const api = app();
    try {
      const before = await store.totals();
      for (const type of [
        'application/json; charset=latin1',
        'application/json; charset="ISO-8859-1"',
        'application/json;charset=utf-16',
      ]) {
        const res = await api.inject({
          method: 'POST',
          url: '/order',
          headers: { 'content-type': type },
          payload: '{"item":"caf\u00e9","quantity":1}',
        });
        assert.equal(res.statusCode, 415, type);
        assert.match(res.json<{ message: string }>().message, /UTF-8/);
      }
      const ok = await api.inject({
        method: 'POST',
        url: '/order',
        headers: { 'content-type': 'application/json; charset=UTF-8' },
        payload: '{"item":"caf\u00e9","quantity":1}',
      });
      assert.equal(ok.statusCode, 202, ok.body);
      assert.deepEqual((await store.totals()).orders, before.orders);
    } finally {
      await api.close();
    }
  });

  test('clients that send half a request are cut off, the API still answers', async () => {
    const api = buildApiApp({
      bus,
      store,
      workload,
      tracer: tracing.tracer,
      logger,
      ping: () => env.redis.ping().then(() => undefined),
      requestTimeoutMs: 1000,
    });
    const address = await api.listen({ host: '127.0.0.1', port: 0 });
    const { port } = new URL(address);
    try {
      const sockets = await Promise.all(
        Array.from(
          { length: 50 },
          () =>
            new Promise<Socket>((resolve, reject) => {
              const s = connect(Number(port), '127.0.0.1', () => {
                s.write(
                  'POST /order HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"item":',
                );
                resolve(s);
              });
              s.on('error', reject);
            }),
        ),
      );
      const closed = await Promise.all(
        sockets.map(
          (s) => new Promise<number>((resolve) => s.once('close', () => resolve(Date.now()))),
        ),
      );
      assert.equal(closed.length, 50);
      const health = await fetch(`${address}/health`);
      assert.equal(health.status, 200);
    } finally {
      await api.close();
    }
  });

  test('the API and the decoder refuse the same items: too long in characters, only white space, or not Unicode text', async () => {
    const api = app();
    const order: Order = {
      id: '0b8f4d3e-8a57-4d6f-9a39-6a1de3a0f4b1',
      item: 'x',
      quantity: 1,
      createdAtMs: 1,
    };
    try {
      const cases: Array<[string, string, boolean]> = [
        ['100 emoji', '😀'.repeat(ITEM_MAX_LENGTH), true],
        ['101 emoji', '😀'.repeat(ITEM_MAX_LENGTH + 1), false],
        ['one space', ' ', false],
        ['tabs and a newline', '\t\t\n', false],
        ['a word inside spaces', '  a  ', true],
        ['a lone surrogate', 'a\ud800', false],
        ['a surrogate pair (one emoji)', 'a\ud83d\ude00', true],
      ];
      for (const [name, item, ok] of cases) {
        const res = await api.inject({ method: 'GET', url: '/health' });
        assert.equal(res.statusCode, 200);
        const post = await api.inject({
          method: 'POST',
          url: '/order',
          payload: { item, quantity: 1 },
        });
        const body = encodeOrder({ ...order, item });
        if (ok) {
          assert.equal(post.statusCode, 202, `${name}: ${post.body}`);
          assert.equal(decodeOrder(body).item, item, name);
        } else {
          assert.equal(post.statusCode, 400, name);
          const why =
            /item must be (1 to 100 characters|free of control|more than white space|valid Unicode)/;
          assert.match(post.json<{ message: string }>().message, why, name);
          assert.throws(() => decodeOrder(body), why, name);
        }
      }
    } finally {
      await api.close();
    }
  });

  test('audit: a redelivered order is audited once and analytics is untouched; an unknown order is dead-lettered, no record made', async () => {
    const api = app();
    const audit = createRedisAuditLog(env.redis, { keyPrefix: env.prefix });
    const published: string[] = [];
    const handler = createAuditHandler({
      ...deps(),
      bus: {
        ...bus,
        publish: (topic: string) => {
          published.push(topic);
          return Promise.resolve({ messageId: 'dlq-1' });
        },
      },
      audit,
    });
    const message = (id: string, deliveryCount: number) => ({
      topic: 'notified-orders',
      messageId: `m-${id}`,
      key: id,
      value: encodeOrder({ id, item: 'audited', quantity: 3, createdAtMs: Date.now() }),
      headers: {},
      publishedAtMs: Date.now(),
      deliveryCount,
    });
    try {
      const res = await api.inject({
        method: 'POST',
        url: '/order',
        payload: { item: 'audited', quantity: 3 },
      });
      assert.equal(res.statusCode, 202, res.body);
      const { id } = res.json<{ id: string }>();
      const before = { totals: await store.totals(), audited: await audit.count() };
      await handler(message(id, 1));
      // Delivered again, as after a crash before the acknowledgement: nothing counted twice.
      await handler(message(id, 2));
      assert.equal(await audit.count(), before.audited + 1);
      assert.ok((await audit.auditedAt(id))! > 0);
      assert.deepEqual(await store.totals(), before.totals, "analytics' figures unchanged");
      assert.equal((await store.get(id))?.stages.analytics.status, 'pending');

      const unknown = '00000000-0000-4000-8000-000000000000';
      await handler(message(unknown, 1));
      assert.deepEqual(published, ['notified-orders.dlq']);
      assert.equal(await audit.auditedAt(unknown), undefined);
      assert.equal(await store.get(unknown), undefined, 'a dead letter makes no order record');
      assert.equal(await audit.count(), before.audited + 1);

      // Given up by audit (delivered past the limit): its dead letter leaves the order's
      // record alone, so the order goes on to complete with analytics.
      const again = await api.inject({
        method: 'POST',
        url: '/order',
        payload: { item: 'audited', quantity: 1 },
      });
      const other = again.json<{ id: string }>().id;
      await handler(message(other, 1000));
      assert.deepEqual(published, ['notified-orders.dlq', 'notified-orders.dlq']);
      assert.equal((await store.get(other))?.status, 'in_progress');
      assert.equal(await audit.auditedAt(other), undefined);
    } finally {
      await api.close();
    }
  });
});
