import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createRedisStreamsBus, encodeEntry } from '../../src/bus/redis-streams.js';
import type { RedisStreamsBusOptions } from '../../src/bus/redis-streams.js';
import type { IncomingMessage } from '../../src/bus/types.js';
import { waitFor } from '../helpers/wait.js';
import { deleteKeys, REDIS_URL } from '../helpers/redis.js';

const fresh = () => `tracelab-test-${randomBytes(4).toString('hex')}:`;

type StreamsOptions = Omit<RedisStreamsBusOptions, 'redisUrl' | 'keyPrefix'>;

/**
 * A bus on a fresh key prefix, with a plain client beside it and `another()` for sibling
 * replicas. After the test `beforeClose` runs (to let a held handler go), then every bus is
 * closed and the keys are deleted.
 */
async function openStreams(t: TestContext, options: StreamsOptions = {}, beforeClose = () => {}) {
  const keyPrefix = fresh();
  const redis = new Redis(REDIS_URL);
  const open = () => createRedisStreamsBus({ redisUrl: REDIS_URL, keyPrefix, ...options });
  const buses = [await open()];
  t.after(async () => {
    beforeClose();
    await Promise.all(buses.map((b) => b.close()));
    redis.disconnect();
    await deleteKeys(keyPrefix);
  });
  const another = async () => {
    const bus = await open();
    buses.push(bus);
    return bus;
  };
  return { stream: `${keyPrefix}orders`, redis, bus: buses[0]!, another };
}

test('a message is one stream entry under keyPrefix + topic, headers as h: fields', async (t) => {
  const { stream, redis, bus } = await openStreams(t);
  const receipt = await bus.publish('orders', {
    key: 'o1',
    value: '{}',
    headers: { traceparent: 'tp', baggage: 'tracelab.intensity=heavy' },
  });
  const entries = await redis.xrange(stream, '-', '+');
  assert.deepEqual(entries, [
    [
      receipt.messageId,
      ['value', '{}', 'key', 'o1', 'h:traceparent', 'tp', 'h:baggage', 'tracelab.intensity=heavy'],
    ],
  ]);
});

test('a restarted replica first finishes the entries it had in hand', async (t) => {
  const { stream, redis, bus } = await openStreams(t, { blockMs: 200 });
  await bus.publish('orders', { value: 'had-it' });
  await bus.publish('orders', { value: 'new' });
  // The replica read one entry, then crashed before acknowledging it.
  await redis.xgroup('CREATE', stream, 'processing-service', '0', 'MKSTREAM');
  await redis.xreadgroup(
    'GROUP',
    'processing-service',
    'replica-1',
    'COUNT',
    1,
    'STREAMS',
    stream,
    '>',
  );

  const got: IncomingMessage[] = [];
  const sub = await bus.consume(
    'orders',
    { group: 'processing-service', consumer: 'replica-1' },
    (m) => Promise.resolve(void got.push(m)),
  );
  await waitFor('both entries', () => got.length === 2);
  await sub.stop();
  assert.deepEqual(
    got.map((m) => [m.value, m.deliveryCount]),
    [
      ['had-it', 2],
      ['new', 1],
    ],
  );
  const [pending] = (await redis.xpending(stream, 'processing-service')) as [number];
  assert.equal(pending, 0);
});

test("a dead consumer's entries are claimed by a live one after the claim timeout", async (t) => {
  const { stream, redis, bus } = await openStreams(t, {
    claimIdleMs: 200,
    claimIntervalMs: 100,
    blockMs: 100,
  });
  await bus.publish('orders', { value: 'orphan' });
  await redis.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
  await redis.xreadgroup('GROUP', 'g', 'dead', 'COUNT', 1, 'STREAMS', stream, '>');
  const got: IncomingMessage[] = [];
  const sub = await bus.consume('orders', { group: 'g', consumer: 'alive' }, (m) =>
    Promise.resolve(void got.push(m)),
  );
  await waitFor('the claimed entry', () => got.length === 1);
  await sub.stop();
  assert.equal(got[0]!.value, 'orphan');
  assert.equal(got[0]!.deliveryCount, 2);
  const [pending] = (await redis.xpending(stream, 'g')) as [number];
  assert.equal(pending, 0);
});

test('lag: streams that do not exist yet give no entries, not an error', async (t) => {
  const bus = await createRedisStreamsBus({ redisUrl: REDIS_URL, keyPrefix: fresh() });
  t.after(() => bus.close());
  assert.deepEqual(await bus.lag(), []);
  assert.deepEqual(await bus.lag({ topics: ['nope'], groups: ['g'] }), []);
});

test('consumers trim what every group has acknowledged, and nothing a group has not', async (t) => {
  const { stream, redis, bus } = await openStreams(t, { blockMs: 100, trimIntervalMs: 50 });
  const total = 2000;
  const pipeline = redis.pipeline();
  for (let i = 0; i < total; i++) pipeline.xadd(stream, '*', 'value', String(i));
  await pipeline.exec();
  // A second group that has read the first 300 entries and acknowledged none of them.
  await redis.xgroup('CREATE', stream, 'slow', '0');
  const held = (await redis.xreadgroup(
    'GROUP',
    'slow',
    's1',
    'COUNT',
    300,
    'STREAMS',
    stream,
    '>',
  )) as [string, [string, string[]][]][];
  const oldestHeld = held[0]![1][0]![0];

  let handled = 0;
  const sub = await bus.consume(
    'orders',
    { group: 'fast', consumer: 'f1', concurrency: 16 },
    () => {
      handled++;
      return Promise.resolve();
    },
  );
  await waitFor('all handled by the fast group', () => handled === total, 20_000);
  await sleep(300);
  assert.equal(await redis.xlen(stream), total, 'the slow group holds every entry');

  // The slow group reads the rest and acknowledges all but its last 200 entries.
  const rest = (await redis.xreadgroup(
    'GROUP',
    'slow',
    's1',
    'COUNT',
    total,
    'STREAMS',
    stream,
    '>',
  )) as [string, [string, string[]][]][];
  const ids = [...held[0]![1], ...rest[0]![1]].map(([id]) => id);
  await redis.xack(stream, 'slow', ...ids.slice(0, total - 200));
  await bus.publish('orders', { value: 'one more' });
  const len = await waitFor(
    'a trim',
    async () => {
      const n = await redis.xlen(stream);
      return n < 1000 ? n : undefined;
    },
    10_000,
  );
  // Every entry the slow group still has pending is kept.
  const [count, first] = (await redis.xpending(stream, 'slow')) as [number, string];
  assert.equal(count, 200);
  assert.equal(first, ids[total - 200]);
  const kept = await redis.xrange(stream, first, '+');
  assert.equal(
    kept.length,
    201,
    `entries from the oldest pending one on are all kept (xlen ${len})`,
  );
  assert.ok(oldestHeld < first);
  await sub.stop();
});

/** Adds the values to the stream in one MULTI, so a blocked reader sees them all at once. */
async function publishAtOnce(redis: Redis, stream: string, values: string[]): Promise<void> {
  const multi = redis.multi();
  for (const value of values) multi.xadd(stream, '*', ...encodeEntry({ value, headers: {} }));
  await multi.exec();
}

test('fast work under load is read ahead: several entries per read, still one at a time', async (t) => {
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  // Released before closing, so a failed check cannot leave close() waiting on the held one.
  const { stream, redis, bus } = await openStreams(t, { blockMs: 200 }, () => release());
  const handled: string[] = [];
  let inHand = 0;
  let maxInHand = 0;
  await bus.consume('orders', { group: 'g', consumer: 'c1' }, async (m) => {
    inHand++;
    maxInHand = Math.max(maxInHand, inHand);
    if (m.value === 'hold') await held;
    handled.push(m.value);
    inHand--;
  });
  // Quick handling first, so the consumer knows its work is fast.
  for (let i = 0; i < 5; i++) await bus.publish('orders', { value: `warm${i}` });
  await waitFor('the warm-up', () => handled.length === 5);
  const burst = ['hold', ...Array.from({ length: 9 }, (_, i) => `m${i}`)];
  await publishAtOnce(redis, stream, burst);
  // While the first is held, the rest of the burst is already delivered to this consumer.
  await waitFor(
    'entries read ahead',
    async () => {
      const [count] = (await redis.xpending(stream, 'g')) as [number];
      return count > 1;
    },
    5000,
  );
  release();
  await waitFor('the burst', () => handled.length === 15);
  assert.deepEqual(handled.slice(5), burst, 'handled in the order published');
  assert.equal(maxInHand, 1, 'read ahead, but handled one at a time');
});

test('slow work is never read ahead: a sibling replica takes the next entry', async (t) => {
  const { stream, redis, bus: a, another } = await openStreams(t, { blockMs: 200 });
  const b = await another();
  const by = { c1: [] as string[], c2: [] as string[] };
  const slow = (c: 'c1' | 'c2') => async (m: IncomingMessage) => {
    await sleep(60);
    by[c].push(m.value);
  };
  await a.consume('orders', { group: 'g', consumer: 'c1' }, slow('c1'));
  await b.consume('orders', { group: 'g', consumer: 'c2' }, slow('c2'));
  // Each replica learns that its work is slow.
  await publishAtOnce(redis, stream, ['warm0', 'warm1']);
  await waitFor('the warm-up', () => by.c1.length + by.c2.length === 2);
  await publishAtOnce(
    redis,
    stream,
    Array.from({ length: 8 }, (_, i) => `m${i}`),
  );
  await waitFor('the burst', () => by.c1.length + by.c2.length === 10);
  const share = (c: 'c1' | 'c2') => by[c].filter((v) => v.startsWith('m')).length;
  assert.ok(share('c1') >= 3 && share('c2') >= 3, `shared ${share('c1')}/${share('c2')}`);
});
