import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { REDIS_URL } from './helpers/redis.js';
import { getOrder, postOrder, startSystem, waitForCompleted } from './helpers/system.js';
import { waitFor } from './helpers/wait.js';

const buses: Array<{ bus: 'redis' | 'kafka'; skip: string | false }> = [
  { bus: 'redis', skip: false },
  {
    bus: 'kafka',
    skip: process.env.KAFKA_BROKERS
      ? false
      : 'KAFKA_BROKERS is not set: start a broker with ../shared/tools/kafka-broker start',
  },
];

for (const { bus, skip } of buses) {
  describe(`crash recovery over ${bus}`, { skip }, () => {
    test('SIGKILL the processing service with 30 orders in flight: each order completes exactly once', async () => {
      const sys = await startSystem([
        '--bus',
        bus,
        '--intensity',
        'processing=heavy',
        '--workload-scale',
        '0.05',
      ]);
      try {
        const pid = Number(/processing-service (\d+)/.exec(sys.output())![1]);
        const orders = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            postOrder(sys.apiUrl, { item: `crash-${i}`, quantity: i + 1 }),
          ),
        );
        // Let processing take a few, then kill it mid-message, as a crash would.
        await waitFor(
          'processing under way',
          async () => {
            const done = await Promise.all(
              orders.map(async (o) => (await getOrder(sys.apiUrl, o.id)).stages.processing.status),
            );
            const n = done.filter((s) => s === 'done').length;
            return n >= 2 ? n : undefined;
          },
          60_000,
          50,
        );
        process.kill(pid, 'SIGKILL');

        await waitForCompleted(
          sys.apiUrl,
          orders.map((o) => o.id),
          240_000,
        );
        assert.match(
          sys.output(),
          /processing-service\s*\| stopped \(signal SIGKILL\); restarting/,
        );
        // Give any duplicate deliveries time to arrive, then count.
        await new Promise((r) => setTimeout(r, 2000));
        const redis = new Redis(REDIS_URL);
        const totals = await redis.hgetall(`${sys.keyPrefix}analytics:totals`);
        const items = await redis.hgetall(`${sys.keyPrefix}analytics:items`);
        redis.disconnect();
        assert.equal(Number(totals.orders), 30, 'each order counted once');
        assert.equal(Number(totals.quantity), (30 * 31) / 2);
        assert.equal(Object.keys(items).length, 30);
      } catch (err) {
        // What the services said is the first thing to read when this fails.
        const tail = sys.output().split('\n').slice(-40).join('\n');
        throw new Error(
          `${(err as Error).message}\n--- tracelab up said (last 40 lines):\n${tail}`,
          { cause: err },
        );
      } finally {
        await sys.stop();
      }
    });
  });
}
