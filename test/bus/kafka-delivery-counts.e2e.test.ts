import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import type { IncomingMessage } from '../../src/bus/types.js';
import { kafkaAdapter } from '../helpers/bus.js';
import { REDIS_URL } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

test(
  'kafka: a joining member drops the delivery counts a killed one left below the committed offset, and keeps the rest',
  { skip: kafkaAdapter.skip, timeout: 60_000 },
  async () => {
    const f = await kafkaAdapter.open();
    const redis = new Redis(REDIS_URL);
    try {
      const topic = f.name('orders');
      const group = f.name('group');
      const counts = `${f.topicPrefix}deliveries:${group}:${f.topicPrefix}${topic}`;
      const seen: IncomingMessage[] = [];
      const handler = (m: IncomingMessage) => Promise.resolve(void seen.push(m));
      // One key: one partition, offsets in a row.
      const a = await f.bus.publish(topic, { key: 'k', value: 'a' });
      const b = await f.bus.publish(topic, { key: 'k', value: 'b' });
      const first = await f.bus.consume(topic, { group, consumer: 'c1' }, handler);
      await waitFor('a and b handled', () => seen.length === 2, kafkaAdapter.patienceMs);
      await first.stop();
      assert.deepEqual(await redis.hgetall(counts), {}, 'committed: their counts are gone');

      // What a member SIGKILLed at the wrong moments leaves: the count of `a`, whose offset it
      // had committed but not yet forgotten, and the count of the message it held (not
      // committed), which must survive so its redelivery counts as the second.
      const held = `${b.partition}:${Number(b.offset) + 1}`;
      await redis.hset(counts, `${a.partition}:${a.offset}`, 1, held, 1);
      const c = await f.bus.publish(topic, { key: 'k', value: 'c' });
      assert.equal(c.messageId, held);

      const again = await (await f.another()).consume(topic, { group, consumer: 'c1' }, handler);
      await waitFor('c handled', () => seen.length === 3, kafkaAdapter.patienceMs);
      assert.equal(seen[2]!.value, 'c');
      assert.equal(seen[2]!.deliveryCount, 2, 'the held message is counted as delivered again');
      await waitFor(
        'no count left',
        async () => Object.keys(await redis.hgetall(counts)).length === 0,
        kafkaAdapter.patienceMs,
      );
      await again.stop();
    } finally {
      redis.disconnect();
      await f.cleanup();
    }
  },
);
