import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Bus } from '../../src/bus/index.js';
import { buildApiApp } from '../../src/services/api/index.js';
import { createProcessingHandler } from '../../src/services/processing/index.js';
import { UnknownOrderError } from '../../src/store/index.js';
import type { OrderStore } from '../../src/store/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import type { Workload } from '../../src/workload/index.js';
import { waitFor } from '../helpers/wait.js';
import { servicesWithoutSockets } from '../helpers/services-env.js';

/**
 * An order whose publish failed because Redis went away: the message may have got out before
 * the connection dropped. Whatever the client was told, GET /order and the counts agree. The
 * bus and the store are real (Redis); only the dropped connection is staged, as the error
 * ioredis gives for a command in flight when its connection closes.
 */
const dropped = () => new Error('Connection is closed.');

describe('an order refused mid-publish', () => {
  const adapters = servicesWithoutSockets();
  const { tracing, env } = adapters;
  const lines: string[] = [];
  const logger = createLogger('info', (line) => lines.push(line));
  let bus: Bus;
  let store: OrderStore;
  let workload: Workload;

  before(() => {
    ({ bus, store, workload } = adapters);
  });

  /** The real bus, whose publish gets the message out and then loses the reply. */
  const replyLost = (afterSend?: (id: string) => Promise<void>): Bus => ({
    ...bus,
    publish: async (topic, message) => {
      await bus.publish(topic, message);
      await afterSend?.(message.key!);
      throw dropped();
    },
  });
  const api = (deps: { bus: Bus; store: OrderStore }) =>
    buildApiApp({
      ...deps,
      workload,
      tracer: tracing.tracer,
      logger,
      ping: () => Promise.resolve(),
    });
  const post = (app: ReturnType<typeof api>, item: string) =>
    app.inject({ method: 'POST', url: '/order', payload: { item, quantity: 1 } });
  const processing = () =>
    createProcessingHandler({ bus, store, workload, tracer: tracing.tracer, logger });

  test('the store removes a record only while no consumer has taken the order', async () => {
    const order = { id: crypto.randomUUID(), item: 'w-1', quantity: 1, createdAtMs: Date.now() };
    await store.create(order, '');
    await store.markStage(order.id, 'processing', Date.now());
    assert.equal(await store.remove(order.id), false, 'taken by processing: it goes on');
    assert.equal((await store.get(order.id))?.stages.processing.status, 'done');

    const other = { ...order, id: crypto.randomUUID() };
    await store.create(other, '');
    assert.equal(await store.remove(other.id), true);
    assert.equal(await store.get(other.id), undefined);
    await assert.rejects(store.markStage(other.id, 'processing', Date.now()), UnknownOrderError);
  });

  test('reply lost, record removed: 503 "not accepted", and the message that got out is dead-lettered, not counted', async () => {
    const countedBefore = await store.totals();
    const app = api({ bus: replyLost(), store });
    const res = await post(app, 'w-lost-reply');
    await app.close();
    assert.equal(res.statusCode, 503, res.body);
    const body = res.json<{ code: string; message: string; id?: string }>();
    assert.equal(body.code, 'ERR_REDIS_UNREACHABLE');
    assert.match(body.message, /the order was not accepted/);
    assert.equal(body.id, undefined);

    // The message did get out: processing finds no record behind it.
    const [entry] = await env.redis.xrange(`${env.prefix}orders`, '-', '+');
    assert.ok(entry, 'the message is on the stream');
    const sub = await bus.consume('orders', { group: 'p', consumer: 'p1' }, processing());
    try {
      await waitFor('the dead letter', async () =>
        (await env.redis.xlen(`${env.prefix}orders.dlq`)) === 1 ? true : undefined,
      );
    } finally {
      await sub.stop();
    }
    const [letter] = await env.redis.xrange(`${env.prefix}orders.dlq`, '-', '+');
    assert.match(letter![1].join(' '), /the API never accepted it/);
    assert.deepEqual(await store.totals(), countedBefore, 'nothing counted');
  });

  test('reply lost, processing already has it: the order was accepted after all (202)', async () => {
    const app = api({
      bus: replyLost((id) => store.markStage(id, 'processing', Date.now())),
      store,
    });
    const res = await post(app, 'w-taken');
    await app.close();
    assert.equal(res.statusCode, 202, res.body);
    const { id } = res.json<{ id: string }>();
    assert.equal((await store.get(id))?.stages.processing.status, 'done');
  });

  test('reply lost and the store away too: 503 with the id to ask about; once Redis answers, the record goes and GET says 404', async () => {
    let storeDown = true;
    const flaky: OrderStore = {
      ...store,
      remove: (id) => (storeDown ? Promise.reject(dropped()) : store.remove(id)),
    };
    const app = api({ bus: replyLost(), store: flaky });
    try {
      const res = await post(app, 'w-unknown');
      assert.equal(res.statusCode, 503, res.body);
      const body = res.json<{ code: string; message: string; id: string }>();
      assert.equal(body.code, 'ERR_REDIS_UNREACHABLE');
      assert.match(body.message, new RegExp(`GET /order/${body.id} says which`));
      // Still there while the store is away…
      assert.equal((await app.inject({ url: `/order/${body.id}` })).statusCode, 200);
      storeDown = false;
      // …and gone once it is back: the message that got out will find no record.
      await waitFor('the record withdrawn', async () =>
        (await app.inject({ url: `/order/${body.id}` })).statusCode === 404 ? true : undefined,
      );
      assert.ok(
        lines.some((l) => /orders refused while Redis was away are settled/.test(l)),
        lines.join('\n'),
      );
    } finally {
      await app.close();
    }
  });
});
