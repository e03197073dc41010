import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { runCli } from '../helpers/cli.js';
import { getTrace, tag } from '../helpers/jaeger.js';
import { REDIS_URL } from '../helpers/redis.js';
import { getOrder, postOrder, startSystem, waitForCompleted } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

const buses: Array<{ bus: 'redis' | 'kafka'; skip: string | false }> = [
  { bus: 'redis', skip: false },
  {
    bus: 'kafka',
    skip: process.env.KAFKA_BROKERS
      ? false
      : 'KAFKA_BROKERS is not set: start a broker with ../shared/tools/kafka-broker start',
  },
];

/**
 * Orders in flight at the kill: a backlog behind the one in hand. Each takes seconds of heavy
 * work, so a few make the point.
 */
const IN_FLIGHT = 6;

for (const { bus, skip } of buses) {
  describe(`crash recovery over ${bus}`, { skip }, () => {
    test(`SIGKILL the processing service with ${IN_FLIGHT} orders in flight: each order completes exactly once`, async () => {
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
          Array.from({ length: IN_FLIGHT }, (_, i) =>
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
        assert.equal(Number(totals.orders), IN_FLIGHT, 'each order counted once');
        assert.equal(Number(totals.quantity), (IN_FLIGHT * (IN_FLIGHT + 1)) / 2);
        assert.equal(Object.keys(items).length, IN_FLIGHT);
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

    test('SIGTERM with an order in hand past the grace period: the consumer says what it cut short and leaves it pending; restarted, it completes it once', async () => {
      // The order in hand takes 3 s (a latency fault); a stop gives it 1 s.
      const sys = await startSystem(
        ['--bus', bus, '--workload', 'none', '--fault', 'processing.latency=3s'],
        { env: { TRACELAB_STOP_GRACE_MS: '1000' } },
      );
      const redis = new Redis(REDIS_URL);
      try {
        const pid = sys.pid('processing-service');
        const orders = await Promise.all(
          [1, 2, 3].map((i) => postOrder(sys.apiUrl, { item: `cut-short-${i}`, quantity: i })),
        );
        // In hand: delivered to processing, not acknowledged (Redis: a pending entry; Kafka:
        // a delivery counted, its offset not committed).
        const stream = `${sys.keyPrefix}orders`;
        await waitFor(
          'an order in hand in processing',
          async () =>
            bus === 'redis'
              ? Number((await redis.xpending(stream, 'processing-service'))[0]) >= 1
              : (await redis.hlen(`${sys.keyPrefix}deliveries:processing-service:orders`)) >= 1,
          60_000,
          50,
        );
        process.kill(pid, 'SIGTERM');

        const [, orderId, messageId] = await waitFor(
          'the cut-short warning',
          () =>
            /processing-service\s*\| warn\s+grace period over: cut short, left pending to be delivered again order=(\S+) message=(\S+) deliveries=1/.exec(
              sys.output(),
            ) ?? undefined,
          30_000,
          50,
        );
        assert.ok(
          orders.some((o) => o.id === orderId),
          `the warning names an accepted order: ${orderId}`,
        );
        // It stopped on its own within the grace period plus the exit, and up restarts it.
        await waitFor('processing restarted', () =>
          /processing-service\s*\| stopped \(exit code 0\); restarting/.test(sys.output()),
        );

        // Not acknowledged: still pending, waiting for the restarted consumer.
        if (bus === 'redis') {
          const pending = (await redis.xpending(
            stream,
            'processing-service',
            '-',
            '+',
            10,
          )) as Array<[string, string, number, number]>;
          assert.ok(
            pending.some(([id]) => id === messageId),
            `entry ${messageId} pending: ${JSON.stringify(pending)}`,
          );
        } else {
          const [partition, offset] = messageId!.split(':').map(Number);
          const lag = await runCli([
            'lag',
            '--bus',
            'kafka',
            '--group',
            'processing-service',
            '--topic',
            'orders',
            '--json',
          ]);
          assert.equal(lag.code, 0, lag.stderr);
          const entry = (
            JSON.parse(lag.stdout) as Array<{ partition: number; committed?: string }>
          ).find((e) => e.partition === partition);
          assert.ok(
            entry?.committed === undefined || Number(entry.committed) <= offset!,
            `offset ${offset} of partition ${partition} not committed: ${JSON.stringify(entry)}`,
          );
        }

        await waitForCompleted(
          sys.apiUrl,
          orders.map((o) => o.id),
          120_000,
        );
        // Delivered again, and done by the restarted consumer: its span says the second delivery.
        const cut = orders.find((o) => o.id === orderId)!;
        const redelivered = await waitFor(
          `the redelivery's span in trace ${cut.traceId}`,
          async () =>
            (await getTrace(sys.queryUrl, cut.traceId))?.spans.find(
              (s) =>
                s.operationName === 'process orders' &&
                Number(tag(s, 'tracelab.delivery_count')) >= 2,
            ),
          30_000,
          250,
        );
        assert.ok(redelivered);
        // Give any duplicate deliveries time to arrive, then count: each order once.
        await new Promise((r) => setTimeout(r, 2000));
        const totals = await redis.hgetall(`${sys.keyPrefix}analytics:totals`);
        const items = await redis.hgetall(`${sys.keyPrefix}analytics:items`);
        assert.deepEqual(
          { orders: totals.orders, quantity: totals.quantity, items },
          {
            orders: '3',
            quantity: '6',
            items: { 'cut-short-1': '1', 'cut-short-2': '2', 'cut-short-3': '3' },
          },
          'each order counted once',
        );
      } catch (err) {
        const tail = sys.output().split('\n').slice(-40).join('\n');
        throw new Error(
          `${(err as Error).message}\n--- tracelab up said (last 40 lines):\n${tail}`,
          { cause: err },
        );
      } finally {
        redis.disconnect();
        await sys.stop();
      }
    });
  });
}
