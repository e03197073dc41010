import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { runCli } from '../helpers/cli.js';
import { entriesAdded, keysWithPrefix, REDIS_URL } from '../helpers/redis.js';
import { postOrder, startSystem, waitForCompleted } from '../helpers/system.js';
import type { RunningSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';
import { ITEM_CASES } from '../model/item-cases.js';

/**
 * What comes from outside, on a running lab (`tracelab up`, real Redis, the real services):
 * bodies that are not UTF-8 and items the rules refuse get a 400 and leave nothing behind; the
 * same items, and orders the API never accepted, put straight onto the bus are dead-lettered
 * with why and counted by nothing; a malformed stream entry keeps its fields through the
 * dead-letter topic and back; and every order record the lab wrote expires.
 */

interface Totals {
  orders: number;
  quantity: number;
  stages: Record<string, number>;
}

/** What a refused request must leave as it was: records, messages, counts. */
interface Snapshot {
  readonly records: number;
  readonly published: number;
  readonly accepted: number;
}

type Fields = Record<string, string>;

describe('untrusted input on a running lab', () => {
  let system: RunningSystem;
  let redis: Redis;
  let prefix = '';
  /** Orders the API took: the tests that compare counts wait for them to finish first. */
  const accepted: string[] = [];

  before(async () => {
    system = await startSystem();
    prefix = system.keyPrefix;
    redis = new Redis(REDIS_URL);
  });
  after(async () => {
    redis?.disconnect();
    await system?.stop();
  });

  const snapshot = async (): Promise<Snapshot> => {
    const [records, published, accepted] = await Promise.all([
      keysWithPrefix(redis, `${prefix}order:`),
      entriesAdded(redis, `${prefix}orders`),
      redis.hget(`${prefix}analytics:stages`, 'api'),
    ]);
    return { records: records.length, published, accepted: Number(accepted ?? 0) };
  };

  /** The analytics figures, once every order the API took has gone all the way through. */
  const settledTotals = async (): Promise<Totals> => {
    await waitForCompleted(system.apiUrl, accepted);
    return (await (await fetch(`${system.apiUrl}/analytics`)).json()) as Totals;
  };

  const post = async (body: Uint8Array | string, contentType = 'application/json') => {
    const res = await fetch(`${system.apiUrl}/order`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  /** The dead letters on `<topic>.dlq`, each as its fields. */
  const deadLetters = async (topic: string): Promise<Fields[]> =>
    (await redis.xrange(`${prefix}${topic}.dlq`, '-', '+')).map(([, flat]) => {
      const fields: Fields = {};
      for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
      return fields;
    });

  const deadLetterOf = (topic: string, key: string) =>
    waitFor(`the dead letter of ${key} on ${topic}.dlq`, async () =>
      (await deadLetters(topic)).find((f) => f.key === key),
    );

  test('a body that is not UTF-8 gets a 400 saying where, and stores nothing', async () => {
    const before = await snapshot();
    const bodies: Array<[string, Buffer, number]> = [
      ['Latin-1 é', Buffer.from('{"item":"caf\xe9","quantity":1}', 'latin1'), 12],
      ['a lone continuation byte', Buffer.from([...Buffer.from('{"item":"'), 0x80]), 9],
      ['an overlong "/"', Buffer.from([...Buffer.from('{"item":"a'), 0xc0, 0xaf]), 10],
      ['an encoded surrogate', Buffer.from([...Buffer.from('{"item":"'), 0xed, 0xa0, 0x80]), 9],
    ];
    for (const [name, body, offset] of bodies) {
      for (const type of ['application/json', 'application/json; charset=utf-8']) {
        const res = await post(body, type);
        assert.deepEqual(
          res,
          {
            status: 400,
            body: {
              statusCode: 400,
              code: 'ERR_INVALID_UTF8',
              error: 'Bad Request',
              message: `the body is not valid UTF-8 (at byte offset ${offset}): send JSON in UTF-8`,
            },
          },
          `${name}, ${type}`,
        );
      }
    }
    assert.deepEqual(await snapshot(), before, 'nothing stored, published or counted');

    // The same item in UTF-8 is taken as sent: no U+FFFD in place of a byte.
    const ok = await post(Buffer.from('{"item":"café","quantity":1}'));
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
    accepted.push(String(ok.body.id));
    assert.equal(await redis.hget(`${prefix}order:${String(ok.body.id)}`, 'item'), 'café');
    // Fastify's own JSON parse still guards against prototype poisoning.
    const poisoned = await post('{"item":"a","quantity":1,"__proto__":{"x":1}}');
    assert.equal(poisoned.status, 400);
    assert.equal(poisoned.body.code, 'FST_ERR_CTP_INVALID_JSON_BODY');
  });

  test('items the rules refuse get a 400 naming the rule and store nothing; the rest are taken as sent', async () => {
    for (const { name, item, refusedFor } of ITEM_CASES) {
      const before = await snapshot();
      const res = await post(JSON.stringify({ item, quantity: 1 }));
      if (refusedFor === undefined) {
        assert.equal(res.status, 202, `${name}: ${JSON.stringify(res.body)}`);
        accepted.push(String(res.body.id));
        const stored = await redis.hget(`${prefix}order:${String(res.body.id)}`, 'item');
        assert.equal(stored, item, name);
        continue;
      }
      assert.equal(res.status, 400, `${name}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, 'FST_ERR_VALIDATION', name);
      assert.match(String(res.body.message), refusedFor, name);
      assert.deepEqual(await snapshot(), before, `${name}: nothing stored, published or counted`);
    }
  });

  test('the same items put straight onto the bus are dead-lettered by the first consumer, naming the rule, and counted by nothing', async () => {
    const before = await settledTotals();
    const refused = ITEM_CASES.filter((c) => c.refusedFor !== undefined);
    const sent = await Promise.all(
      refused.map(async ({ item }) => {
        const id = randomUUID();
        const value = JSON.stringify({ id, item, quantity: 1, createdAtMs: Date.now() });
        await redis.xadd(`${prefix}orders`, '*', 'value', value, 'key', id);
        return id;
      }),
    );
    for (const [i, id] of sent.entries()) {
      const letter = await deadLetterOf('orders', id);
      assert.equal(letter['h:x-dlq-group'], 'processing-service');
      assert.equal(letter['h:x-dlq-error-type'], 'MalformedOrderError');
      assert.match(letter['h:x-dlq-reason'] ?? '', refused[i]!.refusedFor!, refused[i]!.name);
    }
    assert.deepEqual(await settledTotals(), before, 'not counted by any stage');
  });

  test('an order the API never accepted is dead-lettered with why, passed on to no stage, counted by nothing and leaves no record', async () => {
    const before = await settledTotals();
    // Well-formed orders, published straight to the bus: one where processing reads, one
    // where analytics reads.
    const forged = { processing: randomUUID(), analytics: randomUUID() };
    const order = (id: string) =>
      JSON.stringify({ id, item: 'forged', quantity: 7, createdAtMs: Date.now() });
    await redis.xadd(
      `${prefix}orders`,
      '*',
      'value',
      order(forged.processing),
      'key',
      forged.processing,
    );
    await redis.xadd(
      `${prefix}notified-orders`,
      '*',
      'value',
      order(forged.analytics),
      'key',
      forged.analytics,
    );

    const letters = {
      processing: await deadLetterOf('orders', forged.processing),
      analytics: await deadLetterOf('notified-orders', forged.analytics),
    };
    for (const [stage, id] of Object.entries(forged) as [keyof typeof forged, string][]) {
      const letter = letters[stage];
      assert.equal(letter['h:x-dlq-group'], `${stage}-service`);
      assert.equal(letter['h:x-dlq-error-type'], 'UnknownOrderError');
      assert.equal(
        letter['h:x-dlq-reason'],
        `no order ${id}: the API never accepted it, or its record expired`,
      );
      assert.equal(letter['h:x-dlq-deliveries'], '1', 'set aside at once, not retried');
      assert.equal(await redis.exists(`${prefix}order:${id}`), 0, 'no record was created');
      const res = await fetch(`${system.apiUrl}/order/${id}`);
      assert.equal(res.status, 404);
    }
    // Processing passed nothing on: no message for it on the next topic.
    const next = await redis.xrange(`${prefix}processed-orders`, '-', '+');
    assert.equal(next.filter(([, f]) => f.includes(forged.processing)).length, 0);
    assert.deepEqual(await settledTotals(), before, 'not counted by any stage');
  });

  test('a malformed stream entry keeps its own fields on the dead-letter topic, and a replay sends them back', async () => {
    const id = await redis.xadd(`${prefix}orders`, '*', 'foo', 'bar');
    const first = await waitFor('the dead letter of the entry', async () =>
      (await deadLetters('orders')).find((f) => f['h:x-dlq-message-id'] === id),
    );
    assert.equal(first.foo, 'bar');
    assert.equal(first['h:x-dlq-group'], 'processing-service');
    assert.equal(first['h:x-dlq-reason'], 'message body is not JSON');

    const env = { TRACELAB_BUS: '', REDIS_URL: '', TRACELAB_KEY_PREFIX: '' };
    const common = ['--redis-url', REDIS_URL, '--key-prefix', prefix, '--topic', 'orders'];
    const replay = await runCli(['dlq', 'replay', ...common], { env });
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(
      replay.stdout,
      new RegExp(`replayed ${id} to orders \\(.*\\), with fields foo=bar`),
    );

    // The replayed entry is still no order: set aside again, with its field, under a new id.
    const second = await waitFor('the replayed entry dead-lettered again', async () =>
      (await deadLetters('orders')).find((f) => f.foo === 'bar' && f['h:x-dlq-message-id'] !== id),
    );
    assert.equal(second['h:x-dlq-reason'], 'message body is not JSON');
  });

  test('after all of that and a normal run, every order record the lab holds expires', async () => {
    const orders = await Promise.all(
      Array.from({ length: 5 }, (_, i) => postOrder(system.apiUrl, { item: `w${i}`, quantity: 1 })),
    );
    accepted.push(...orders.map((o) => o.id));
    await waitForCompleted(system.apiUrl, accepted);
    const keys = await keysWithPrefix(redis, `${prefix}order:`);
    assert.ok(keys.length >= 5 + 1, `the records: ${keys.length}`);
    const ttls = await Promise.all(keys.map(async (k) => [k, await redis.ttl(k)] as const));
    assert.deepEqual(
      ttls.filter(([, ttl]) => ttl <= 0),
      [],
      'every record has its expiry',
    );
  });
});
