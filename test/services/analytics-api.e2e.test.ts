import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createRedisOrderStore } from '../../src/store/index.js';
import { deleteKeys, REDIS_URL } from '../helpers/redis.js';
import { postOrder, startSystem, waitForCompleted } from '../helpers/system.js';
import type { RunningSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

interface Analytics {
  orders: number;
  quantity: number;
  items: Record<string, { orders: number; quantity: number }>;
  stages: Record<'api' | 'processing' | 'notification' | 'analytics', number>;
  inFlight: number;
}

async function getAnalytics(apiUrl: string): Promise<Analytics> {
  const res = await fetch(`${apiUrl}/analytics`);
  assert.equal(res.status, 200);
  return (await res.json()) as Analytics;
}

describe('GET /analytics on a running system', () => {
  let sys: RunningSystem;
  before(async () => {
    sys = await startSystem();
  });
  after(async () => {
    await sys?.stop();
  });

  test('a fresh system reads all zeros', async () => {
    assert.deepEqual(await getAnalytics(sys.apiUrl), {
      orders: 0,
      quantity: 0,
      items: {},
      stages: { api: 0, processing: 0, notification: 0, analytics: 0 },
      inFlight: 0,
    });
  });

  test('every accepted order is counted once per stage, per item with its quantity', async () => {
    const bodies = [
      { item: 'book', quantity: 2 },
      { item: 'book', quantity: 3 },
      { item: 'pen', quantity: 1 },
      { item: 'lamp', quantity: 7 },
      { item: 'pen', quantity: 4 },
    ];
    const accepted = await Promise.all(bodies.map((b) => postOrder(sys.apiUrl, b)));
    // A refused order counts nowhere.
    const bad = await fetch(`${sys.apiUrl}/order`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ item: 'pen', quantity: 0 }),
    });
    assert.equal(bad.status, 400);

    await waitForCompleted(
      sys.apiUrl,
      accepted.map((a) => a.id),
    );
    const a = await waitFor('analytics to count all 5', async () => {
      const v = await getAnalytics(sys.apiUrl);
      return v.orders === 5 ? v : undefined;
    });
    assert.deepEqual(a, {
      orders: 5,
      quantity: 17,
      items: {
        book: { orders: 2, quantity: 5 },
        pen: { orders: 2, quantity: 5 },
        lamp: { orders: 1, quantity: 7 },
      },
      stages: { api: 5, processing: 5, notification: 5, analytics: 5 },
      inFlight: 0,
    });
  });
});

describe('the order store counts each stage once', () => {
  const keyPrefix = `tltest-${randomUUID().slice(0, 8)}:`;
  const redis = new Redis(REDIS_URL);
  after(async () => {
    redis.disconnect();
    await deleteKeys(keyPrefix);
  });

  test('a redelivered stage or analytics record changes no count; a removed order uncounts', async () => {
    const store = createRedisOrderStore(redis, { keyPrefix });
    const order = { id: randomUUID(), item: 'cup', quantity: 3, createdAtMs: Date.now() };
    const dropped = { id: randomUUID(), item: 'cup', quantity: 1, createdAtMs: Date.now() };
    await store.create(order, 'a'.repeat(32));
    await store.create(dropped, 'b'.repeat(32));
    await store.remove(dropped.id);
    await store.remove(dropped.id);
    for (let i = 0; i < 2; i++) {
      await store.markStage(order.id, 'processing', 1000 + i);
      await store.markStage(order.id, 'notification', 2000 + i);
      await store.recordAnalytics(order, 3000 + i);
    }
    assert.deepEqual(await store.totals(), {
      orders: 1,
      quantity: 3,
      items: { cup: { orders: 1, quantity: 3 } },
      stages: { api: 1, processing: 1, notification: 1, analytics: 1 },
    });
    const record = await store.get(order.id);
    assert.equal(record?.stages.processing.atMs, 1000, 'the first completion time is kept');
    assert.equal(await store.get(dropped.id), undefined);
  });
});
