import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { consumerName, handOverPending, handOverStopped } from '../../src/bus/index.js';
import { createRedisStreamsBus } from '../../src/bus/redis-streams.js';
import { deleteKeys, REDIS_URL } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const prefix = `tltest-handover-${randomUUID().slice(0, 8)}:`;
const stream = `${prefix}orders`;
const GROUP = 'processing-service';
const redis = new Redis(REDIS_URL);

after(async () => {
  redis.disconnect();
  await deleteKeys(prefix);
});

/** Delivers `n` new entries to `consumer`, unacknowledged: what it held when its run ended. */
async function holding(consumer: string, n: number): Promise<string[]> {
  for (let i = 0; i < n; i++) await redis.xadd(stream, '*', 'value', `${consumer}-${i}`);
  const reply = (await redis.xreadgroup(
    'GROUP',
    GROUP,
    consumer,
    'COUNT',
    n,
    'STREAMS',
    stream,
    '>',
  )) as [string, [string, string[]][]][];
  return reply[0]![1].map(([id]) => id);
}

async function pendingBy(): Promise<Record<string, string[]>> {
  const rows = (await redis.xpending(stream, GROUP, '-', '+', 100)) as [
    string,
    string,
    number,
    number,
  ][];
  const out: Record<string, string[]> = {};
  for (const [id, consumer] of rows) (out[consumer] ??= []).push(id);
  for (const ids of Object.values(out)) ids.sort();
  return out;
}

test("consumer names: the run id after the replica when there is one, today's name otherwise", () => {
  assert.equal(consumerName(GROUP, 2, '0badcafe'), 'processing-service-2-0badcafe');
  assert.equal(consumerName(GROUP, 'c0ffee-host'), 'processing-service-c0ffee-host');
});

test("an earlier run's pending entries go to this run's consumer of the same replica; its consumers leave the group; others stay", async () => {
  await redis.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
  const oldRun1 = await holding('processing-service-1-aaaaaaaa', 2);
  const oldRun2 = await holding('processing-service-2-aaaaaaaa', 1);
  // Named before runs had ids, and a replica this run does not have.
  const oldForm = await holding('processing-service-3', 1);
  // A container's consumer, named after its host: not a run's, left alone.
  const container = await holding('processing-service-3f2a9c1d7e4b', 1);
  const current = await holding('processing-service-1-bbbbbbbb', 1);

  const moved = await handOverPending(redis, prefix, 'bbbbbbbb', [
    { group: GROUP, topic: 'orders', replicas: 2 },
    // No stream yet: nothing to do, no error.
    { group: 'notification-service', topic: 'processed-orders', replicas: 1 },
  ]);
  assert.equal(moved, 4);
  const after = await pendingBy();
  assert.deepEqual(after, {
    'processing-service-1-bbbbbbbb': [...oldRun1, ...oldForm, ...current].sort(),
    'processing-service-2-bbbbbbbb': oldRun2,
    'processing-service-3f2a9c1d7e4b': container,
  });
  const names = ((await redis.call('XINFO', 'CONSUMERS', stream, GROUP)) as unknown[][])
    .map((c) => String(c[1]))
    .sort();
  assert.deepEqual(names, [
    'processing-service-1-bbbbbbbb',
    'processing-service-2-bbbbbbbb',
    'processing-service-3f2a9c1d7e4b',
  ]);
  // The delivery counts are those of the first deliveries: a read of its history counts next.
  const counts = (await redis.xpending(stream, GROUP, '-', '+', 100)) as [
    string,
    string,
    number,
    number,
  ][];
  assert.ok(
    counts.every(([, , , n]) => n === 1),
    JSON.stringify(counts),
  );
});

test('a replica scaled away: what it left pending is delivered again by a replica still running, at its next claim pass', async () => {
  const topic = 'handover-stopped';
  const key = `${prefix}${topic}`;
  const group = 'notification-service';
  await redis.xgroup('CREATE', key, group, '0', 'MKSTREAM');
  // The replica that stopped held one entry it never finished.
  await redis.xadd(key, '*', 'value', 'left-behind');
  await redis.xreadgroup(
    'GROUP',
    group,
    'notification-service-2-cccccccc',
    'COUNT',
    1,
    'STREAMS',
    key,
    '>',
  );
  // A running replica, claiming every 100 ms what has been idle for 30 s.
  const bus = await createRedisStreamsBus({
    redisUrl: REDIS_URL,
    keyPrefix: prefix,
    claimIdleMs: 30_000,
    claimIntervalMs: 100,
  });
  const seen: { value: string; deliveryCount: number }[] = [];
  const sub = await bus.consume(
    topic,
    { group, consumer: 'notification-service-1-cccccccc' },
    (m) => {
      seen.push({ value: m.value, deliveryCount: m.deliveryCount });
      return Promise.resolve();
    },
  );
  try {
    const moved = await handOverStopped(redis, prefix, {
      topic,
      group,
      from: 'notification-service-2-cccccccc',
      to: 'notification-service-1-cccccccc',
    });
    assert.equal(moved, 1);
    const names = ((await redis.call('XINFO', 'CONSUMERS', key, group)) as unknown[][]).map((c) =>
      String(c[1]),
    );
    assert.deepEqual(names, ['notification-service-1-cccccccc']);
    const again = await waitFor('the entry delivered again', () => seen[0], 10_000);
    assert.equal(again.value, 'left-behind');
    assert.equal(again.deliveryCount, 2);
    // Nothing to hand over from a group or stream that does not exist.
    assert.equal(
      await handOverStopped(redis, prefix, { topic: 'nowhere', group, from: 'a', to: 'b' }),
      0,
    );
  } finally {
    await sub.stop();
    await bus.close();
  }
});
