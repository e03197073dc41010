import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { trace } from '@opentelemetry/api';
import type { Bus, IncomingMessage } from '../../src/bus/index.js';
import { encodeOrder } from '../../src/model/index.js';
import type { Order } from '../../src/model/index.js';
import { DependencyUnavailableError } from '../../src/services/errors.js';
import {
  createInventoryClient,
  createProcessingHandler,
  InventoryCallError,
} from '../../src/services/processing/index.js';
import type { InventoryClient } from '../../src/services/processing/index.js';
import type { OrderStore } from '../../src/store/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { DEFAULT_RESILIENCE } from '../../src/workload/index.js';

const order = (n: number): Order => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  item: 'widget',
  quantity: 1,
  createdAtMs: 0,
});

/** A stand-in inventory on a real port, answering what `answer` says. */
async function fakeInventory(
  answer: (body: { orderId: string }) => { status: number; body?: unknown } | 'hang',
): Promise<{ url: string; seen: string[]; server: Server }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as { orderId: string };
      seen.push(body.orderId);
      const a = answer(body);
      if (a === 'hang') return;
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(a.body ?? {}));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, server };
}

const reserved = (orderId: string) => ({
  status: 200,
  body: { orderId, sku: 'SKU-1', quantity: 1, status: 'reserved', repeated: false },
});

describe("processing's call to inventory", () => {
  const servers: Server[] = [];
  after(() => {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  });

  test('spreads calls over the replicas in turn and reads the decision', async () => {
    const a = await fakeInventory((b) => reserved(b.orderId));
    const b = await fakeInventory((b) => reserved(b.orderId));
    servers.push(a.server, b.server);
    const client = createInventoryClient({
      urls: [a.url, b.url],
      policy: () => DEFAULT_RESILIENCE,
    });
    try {
      for (let i = 1; i <= 4; i++) {
        const answer = await client.reserve(order(i));
        assert.equal(answer.status, 'reserved');
        assert.equal(answer.orderId, order(i).id);
      }
      assert.deepEqual(a.seen, [order(1).id, order(3).id]);
      assert.deepEqual(b.seen, [order(2).id, order(4).id]);
    } finally {
      client.close();
    }
  });

  test('a 503, a refused connection or no answer in time is the dependency down; a 400 is not', async () => {
    const down = await fakeInventory(() => ({
      status: 503,
      body: { code: 'ERR_DATABASE_UNREACHABLE', message: 'the database is unreachable' },
    }));
    const hangs = await fakeInventory(() => 'hang');
    const refuses = await fakeInventory(() => ({ status: 400, body: { message: 'bad item' } }));
    servers.push(down.server, hangs.server, refuses.server);
    const closed = await fakeInventory(() => 'hang');
    await new Promise((r) => closed.server.close(r));

    const call = (url: string, timeoutMs = 2000) => {
      const c = createInventoryClient({
        urls: [url],
        policy: () => ({ ...DEFAULT_RESILIENCE, timeoutMs }),
      });
      return c.reserve(order(1)).finally(() => c.close());
    };
    await assert.rejects(call(down.url), (err: unknown) => {
      assert.ok(err instanceof DependencyUnavailableError);
      assert.match(err.message, /503 ERR_DATABASE_UNREACHABLE/);
      return true;
    });
    const started = process.hrtime.bigint();
    await assert.rejects(call(hangs.url, 300), DependencyUnavailableError);
    assert.ok(process.hrtime.bigint() - started < 5_000_000_000n, 'cut off, never a hang');
    await assert.rejects(call(closed.url), /ECONNREFUSED/);
    await assert.rejects(call(refuses.url), (err: unknown) => {
      assert.ok(err instanceof InventoryCallError);
      assert.equal(err.statusCode, 400);
      return true;
    });
  });
});

describe('a delivery that fails because inventory is down', () => {
  /** Processing's handler over a recording bus and store, with a scripted inventory. */
  function handlerWith(inventory: InventoryClient, maxDependencyDeliveries = 50) {
    const published: string[] = [];
    const deadLettered: string[] = [];
    const reasons: string[] = [];
    const bus = {
      system: 'redis',
      publish: (topic: string, m: { headers?: Record<string, string> }) => {
        if (topic.endsWith('.dlq')) reasons.push(m.headers?.['x-dlq-reason'] ?? '');
        (topic.endsWith('.dlq') ? deadLettered : published).push(topic);
        return Promise.resolve({ messageId: '1-0' });
      },
    } as unknown as Bus;
    const store = {
      has: () => Promise.resolve(true),
      markStage: () => Promise.resolve(),
      markDeadLettered: () => Promise.resolve(),
    } as unknown as OrderStore;
    const handler = createProcessingHandler({
      bus,
      store,
      workload: { run: () => Promise.resolve() },
      tracer: trace.getTracer('test'),
      logger: createLogger('error', () => undefined),
      maxDeliveries: 3,
      maxDependencyDeliveries,
      inventory,
    });
    const deliver = (deliveryCount: number): IncomingMessage => ({
      topic: 'orders',
      messageId: '1-1',
      key: order(1).id,
      value: encodeOrder(order(1)),
      headers: {},
      publishedAtMs: 0,
      deliveryCount,
    });
    return { handler, deliver, published, deadLettered, reasons };
  }

  test('is tried again past the dead-letter limit and completes once inventory is back', async () => {
    let up = false;
    const h = handlerWith({
      reserve: (o) =>
        up
          ? Promise.resolve({
              orderId: o.id,
              sku: 'SKU-1',
              quantity: 1,
              status: 'reserved',
              repeated: false,
            })
          : Promise.reject(new DependencyUnavailableError('inventory', 'inventory is unavailable')),
      close: () => undefined,
    });
    for (let n = 1; n <= 10; n++) {
      await assert.rejects(h.handler(h.deliver(n)), DependencyUnavailableError);
    }
    assert.deepEqual(h.deadLettered, [], 'an outage dead-letters nothing');
    up = true;
    await h.handler(h.deliver(11));
    assert.deepEqual(h.published, ['processed-orders']);
  });

  test('a failure of the order itself still reaches the dead-letter topic at the limit', async () => {
    const h = handlerWith({
      reserve: () =>
        Promise.reject(new InventoryCallError(400, 'inventory refused the reservation')),
      close: () => undefined,
    });
    await assert.rejects(h.handler(h.deliver(1)), InventoryCallError);
    await assert.rejects(h.handler(h.deliver(2)), InventoryCallError);
    await h.handler(h.deliver(3));
    assert.deepEqual(h.deadLettered, ['orders.dlq']);
    assert.deepEqual(h.published, []);
  });

  test('a dependency that never comes back dead-letters at its own limit, saying so', async () => {
    const h = handlerWith(
      {
        reserve: () =>
          Promise.reject(
            new DependencyUnavailableError(
              'inventory',
              'inventory not called: the circuit breaker is open',
            ),
          ),
        close: () => undefined,
      },
      4,
    );
    for (let n = 1; n <= 3; n++) {
      await assert.rejects(h.handler(h.deliver(n)), DependencyUnavailableError);
    }
    assert.deepEqual(h.deadLettered, []);
    await h.handler(h.deliver(4));
    assert.deepEqual(h.deadLettered, ['orders.dlq']);
    assert.match(
      h.reasons[0]!,
      /inventory unavailable for 4 deliveries \(--max-dependency-deliveries\)/,
    );
    assert.match(h.reasons[0]!, /circuit breaker is open/);
    assert.deepEqual(h.published, []);
  });
});
