import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { TOPICS } from '../../src/model/index.js';
import { freePort } from '../../src/supervisor/redis.js';
import { runCli } from '../helpers/cli.js';
import { getTrace, tag } from '../helpers/jaeger.js';
import { deleteKeys, REDIS_URL } from '../helpers/redis.js';
import { postOrder, startSystem, waitForCompleted } from '../helpers/system.js';
import type { RunningSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

const STREAMS = Object.values(TOPICS);
const GROUPS = { orders: 'processing-service', 'processed-orders': 'notification-service' };

function fields(raw: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) out[String(raw[i])] = raw[i + 1];
  return out;
}

/** Every stream of a prefix: its length, its groups and each group's consumers. */
async function busState(redis: Redis, prefix: string) {
  const out: Record<string, unknown> = {};
  for (const topic of STREAMS) {
    const stream = prefix + topic;
    if (!(await redis.exists(stream))) continue;
    const groups = ((await redis.call('XINFO', 'GROUPS', stream)) as unknown[][]).map(fields);
    out[topic] = {
      length: await redis.xlen(stream),
      groups: await Promise.all(
        groups.map(async (g) => ({
          name: g.name,
          pending: g.pending,
          lastDelivered: g['last-delivered-id'],
          consumers: (
            (await redis.call('XINFO', 'CONSUMERS', stream, String(g.name))) as unknown[][]
          )
            .map((c) => `${String(fields(c).name)} pending=${String(fields(c).pending)}`)
            .sort(),
        })),
      ),
    };
  }
  return out;
}

async function consumerNames(redis: Redis, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for (const [topic, group] of Object.entries(GROUPS)) {
    const consumers = (await redis.call(
      'XINFO',
      'CONSUMERS',
      prefix + topic,
      group,
    )) as unknown[][];
    names.push(...consumers.map((c) => String(fields(c).name)));
  }
  return names.sort();
}

describe('a second tracelab up on the same key prefix', () => {
  let sys: RunningSystem;
  const redis = new Redis(REDIS_URL);

  before(async () => {
    sys = await startSystem(['--workload', 'none']);
  });
  after(async () => {
    redis.disconnect();
    await sys?.stop();
  });

  test("consumers are named after their replica and up's run id, the one its lease holds", async () => {
    const lease = JSON.parse((await redis.get(`${sys.keyPrefix}lease`))!) as {
      runId: string;
      pid: number;
      urls: { api: string; query: string; admin: string };
    };
    assert.match(lease.runId, /^[0-9a-f]{8}$/);
    assert.equal(lease.pid, sys.child.pid);
    assert.deepEqual(lease.urls, { api: sys.apiUrl, query: sys.queryUrl, admin: sys.adminUrl });
    assert.deepEqual(await consumerNames(redis, sys.keyPrefix), [
      `notification-service-1-${lease.runId}`,
      `processing-service-1-${lease.runId}`,
    ]);
  });

  test('fails fast naming the first lab, and leaves its faults, streams, groups and consumers alone', async () => {
    // A run-time fault that does no harm, and some orders through.
    const set = await fetch(`${sys.adminUrl}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ set: ['notification.latency=5ms'] }),
    });
    assert.equal(set.status, 200, await set.text());
    const orders = await Promise.all(
      [1, 2, 3].map((i) => postOrder(sys.apiUrl, { item: `first-lab-${i}`, quantity: i })),
    );
    await waitForCompleted(
      sys.apiUrl,
      orders.map((o) => o.id),
    );
    const faultsBefore = await redis.hgetall(`${sys.keyPrefix}faults`);
    assert.deepEqual(faultsBefore, { 'notification.latency': '5' });
    const busBefore = await busState(redis, sys.keyPrefix);
    const namesBefore = await consumerNames(redis, sys.keyPrefix);

    // Other ports than the first lab's: nothing clashes but the key prefix.
    const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const started = Date.now();
    const second = await runCli([
      'up',
      '--api-port',
      String(ports[0]),
      '--otlp-port',
      String(ports[1]),
      '--http-port',
      String(ports[2]),
      '--admin-port',
      String(ports[3]),
      '--key-prefix',
      sys.keyPrefix,
      '--redis-url',
      REDIS_URL,
      '--workload',
      'none',
    ]);
    const tookMs = Date.now() - started;
    assert.notEqual(second.code, 0, second.stdout + second.stderr);
    assert.notEqual(second.code, null, 'it exited on its own');
    // Node's own start-up is most of it: a lab that got as far as its children takes seconds.
    assert.ok(tookMs < 5000, `took ${tookMs} ms`);
    const lease = JSON.parse((await redis.get(`${sys.keyPrefix}lease`))!) as { runId: string };
    assert.match(
      second.stderr,
      new RegExp(
        `^tracelab: another tracelab up \\(run ${lease.runId}, pid ${sys.child.pid} on \\S+\\) holds key prefix "${sys.keyPrefix}" in redis://\\S+: its API at ${sys.apiUrl}, traces at ${sys.queryUrl}, admin at ${sys.adminUrl}; stop it, or give this one another --key-prefix \\(its lease runs out in [\\d.]+ s`,
      ),
    );
    // Started nothing: no child said a word, no banner.
    assert.doesNotMatch(second.stdout, /\|/);
    assert.doesNotMatch(second.stdout, /tracelab is up/);

    assert.deepEqual(await redis.hgetall(`${sys.keyPrefix}faults`), faultsBefore);
    assert.deepEqual(await busState(redis, sys.keyPrefix), busBefore);
    assert.deepEqual(await consumerNames(redis, sys.keyPrefix), namesBefore);
    const view = (await (await fetch(`${sys.adminUrl}/faults`)).json()) as { runtime: string[] };
    assert.deepEqual(view.runtime, ['notification.latency=5ms']);

    // The first lab goes on as before.
    const after = await postOrder(sys.apiUrl, { item: 'after-the-second', quantity: 1 });
    await waitForCompleted(sys.apiUrl, [after.id]);
  });
});

describe('the next run of up on a prefix', () => {
  const keyPrefix = `tltest-${randomUUID().slice(0, 8)}:`;
  const redis = new Redis(REDIS_URL);
  // The later flag wins: both runs on this prefix, which outlives the first.
  const up = (extra: readonly string[], env: NodeJS.ProcessEnv = {}) =>
    startSystem(['--workload', 'none', '--key-prefix', keyPrefix, ...extra], { env });
  after(async () => {
    redis.disconnect();
    await deleteKeys(keyPrefix);
  });

  test("takes what the last run's consumer left pending at once, and removes that consumer", async () => {
    // The order in hand takes 6 s; a stop gives it 1 s: up stops with it pending.
    const first = await up(['--fault', 'processing.latency=6s'], {
      TRACELAB_STOP_GRACE_MS: '1000',
    });
    const firstRun = (JSON.parse((await redis.get(`${keyPrefix}lease`))!) as { runId: string })
      .runId;
    const order = await postOrder(first.apiUrl, {
      item: 'left-pending',
      quantity: 1,
    });
    await waitFor(
      'the order in hand in processing',
      async () =>
        Number((await redis.xpending(`${keyPrefix}orders`, 'processing-service'))[0]) >= 1,
      60_000,
      50,
    );
    await first.stop();
    assert.match(first.output(), /cut short, left pending to be delivered again/);
    assert.equal(await redis.exists(`${keyPrefix}lease`), 0, 'the lease released on stop');
    const left = (await redis.xpending(
      `${keyPrefix}orders`,
      'processing-service',
      '-',
      '+',
      10,
    )) as Array<[string, string, number, number]>;
    assert.deepEqual(
      left.map(([, consumer]) => consumer),
      [`processing-service-1-${firstRun}`],
    );

    const second = await up([]);
    try {
      const upAt = Date.now();
      assert.match(
        second.output(),
        /1 message\(s\) left pending by an earlier run go to this run's consumers first/,
      );
      const secondRun = (JSON.parse((await redis.get(`${keyPrefix}lease`))!) as { runId: string })
        .runId;
      assert.notEqual(secondRun, firstRun);
      const names = (
        (await redis.call(
          'XINFO',
          'CONSUMERS',
          `${keyPrefix}orders`,
          'processing-service',
        )) as unknown[][]
      ).map((c) => String(fields(c).name));
      assert.deepEqual(names, [`processing-service-1-${secondRun}`]);
      // The claim of a dead consumer's entries waits 30 s of idleness; this does not.
      await waitForCompleted(second.apiUrl, [order.id], 15_000);
      assert.ok(Date.now() - upAt < 15_000);
      const span = await waitFor(
        `the second delivery's span in trace ${order.traceId}`,
        async () =>
          (await getTrace(second.queryUrl, order.traceId))?.spans.find(
            (s) =>
              s.operationName === 'process orders' &&
              Number(tag(s, 'tracelab.delivery_count')) >= 2,
          ),
        30_000,
        250,
      );
      assert.ok(span);
      assert.equal(await redis.hget(`${keyPrefix}analytics:totals`, 'orders'), '1');
    } finally {
      await second.stop();
    }
  });
});
