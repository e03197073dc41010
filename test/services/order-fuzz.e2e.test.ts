import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { decodeOrder, ITEM_MAX_LENGTH, QUANTITY_MAX } from '../../src/model/index.js';
import { startCli, stopChild } from '../helpers/cli.js';
import { connectInspector, INSPECT_FLAG, INSPECTOR_URL } from '../helpers/inspector.js';
import type { HeapReading, Inspector } from '../helpers/inspector.js';
import { deleteKeys, keysWithPrefix, REDIS_URL } from '../helpers/redis.js';

/**
 * `POST /order` against the real API service (`tracelab service api`, real Redis bus and
 * store) with generated input: what it accepts, the consumers can decode; what it refuses
 * leaves no trace; and bad input, however much, does not make it grow.
 * A failure prints fast-check's seed and path: `fc.assert(..., { seed, path })` replays it.
 */

const MB = 1024 * 1024;

interface Snapshot {
  /** Entries on the orders stream. */
  readonly published: number;
  /** Order records in the store. */
  readonly stored: number;
  /** The API stage's count: what analytics compares against. */
  readonly counted: number;
}

interface Answer {
  readonly status: number;
  readonly text: string;
}

/** White space of every kind JSON can carry, and characters that only look like it. */
const SPACES = [' ', '\t', '\n', '\r', '\u00a0', '\u2003', '\u3000', '\ufeff', '\u200b', '\u2028'];
const EMOJI = ['😀', '👍🏽', '👨‍👩‍👧', '🇫🇷', 'é', 'e\u0301', '中', 'a', '\u0000'];

/** A lone half of a surrogate pair: valid in a JSON string escape, not valid Unicode text. */
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

const itemArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: fc.constantFrom(...SPACES), maxLength: 6 }),
  // Around the length limit, counted in characters while JavaScript counts UTF-16 units.
  fc.string({
    unit: fc.constantFrom(...EMOJI),
    minLength: ITEM_MAX_LENGTH - 3,
    maxLength: ITEM_MAX_LENGTH + 3,
  }),
  fc
    .tuple(fc.string({ maxLength: 5 }), loneSurrogate, fc.string({ maxLength: 5 }))
    .map((p) => p.join('')),
  fc.constantFrom('', 'x', 'café', ' a '),
  fc.integer(),
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
);

/** Numbers as JSON text, so forms JSON.stringify never writes (1.0, 1e0, 1e400) are sent too. */
const quantityText: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: -3, max: 12 }).map(String),
  fc.integer({ min: QUANTITY_MAX - 3, max: QUANTITY_MAX + 3 }).map(String),
  fc.integer().map(String),
  fc.double().map((d) => (Number.isFinite(d) ? JSON.stringify(d) : '1e400')),
  fc.constantFrom(
    '1.0',
    '1e0',
    '1E+0',
    '10e-1',
    '-0',
    '0.5',
    '1.5',
    '1e400',
    '-1e400',
    '9007199254740993',
    '1e21',
    '1000000.0000000001',
    '"1"',
    'null',
    'true',
    '[]',
    '{}',
  ),
);

const extraKeys = fc.dictionary(
  fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('id', 'createdAtMs', 'Item', 'status')),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 2 },
);

/** An order-like JSON object as text: maybe an item, maybe a quantity, maybe more. */
const orderLikeBody: fc.Arbitrary<string> = fc
  .record(
    {
      item: itemArb,
      quantity: quantityText,
      extra: extraKeys,
      spacing: fc.constantFrom('', ' ', '\n  '),
    },
    { requiredKeys: ['extra', 'spacing'] },
  )
  .map(({ item, quantity, extra, spacing }) => {
    // JSON.stringify writes a lone surrogate as an escape (\ud800): the server reads it back.
    const fields = Object.entries(extra).map(
      ([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`,
    );
    if (item !== undefined) fields.push(`"item":${spacing}${JSON.stringify(item)}`);
    if (quantity !== undefined) fields.push(`"quantity":${spacing}${quantity}`);
    return `{${spacing}${fields.join(`,${spacing}`)}${spacing}}`;
  });

const jsonContentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=UTF-8',
  'application/json; charset="utf-8"',
);

/** Content types a client might send, right and wrong; and arbitrary printable ones. */
const anyContentType: fc.Arbitrary<string | undefined> = fc.oneof(
  jsonContentType,
  fc.constantFrom(
    undefined,
    '',
    'APPLICATION/JSON',
    'application/json; charset=latin1',
    'application/json; charset=utf-16',
    'application/json;;',
    'application/vnd.api+json',
    'text/plain',
    'text/json',
    'application/octet-stream',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=xyz',
  ),
  fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
);

/** Bodies that are anything at all: bytes, JSON of any shape, text, too large. */
const anyBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc.json({ maxDepth: 3 }).map((s) => Buffer.from(s)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
  orderLikeBody.map((s) => Buffer.from(s).subarray(0, -1)),
  fc.integer({ min: 16 * 1024, max: 40 * 1024 }).map((n) => Buffer.alloc(n, '{')),
);

/** The parsed body when it is a JSON object with only the two fields an order has, else undefined. */
function orderFields(text: string): Record<string, unknown> | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const keys = Object.keys(data);
  return keys.every((k) => k === 'item' || k === 'quantity')
    ? (data as Record<string, unknown>)
    : undefined;
}

describe('POST /order with generated input, against the real API service', () => {
  const prefix = `tlfuzz-${randomUUID().slice(0, 8)}:`;
  const redis = new Redis(REDIS_URL);
  let otlpSink: Server;
  let api: Awaited<ReturnType<typeof startCli>> | undefined;
  let apiUrl = '';
  let inspector: Inspector | undefined;

  before(async () => {
    // Spans go somewhere real that takes them: a sink that answers 200 and keeps nothing.
    otlpSink = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
    });
    await new Promise<void>((resolve) => otlpSink.listen(0, '127.0.0.1', resolve));
    const { port } = otlpSink.address() as AddressInfo;
    api = await startCli(
      [
        'service',
        'api',
        '--api-port',
        '0',
        '--key-prefix',
        prefix,
        '--redis-url',
        REDIS_URL,
        '--workload',
        'none',
        '--monitor',
        'off',
        '--otlp-endpoint',
        `http://127.0.0.1:${port}`,
      ],
      new RegExp(`${INSPECTOR_URL.source}[\\s\\S]*listening on (http://\\S+)`),
      { nodeArgs: [INSPECT_FLAG], env: { OTEL_BSP_SCHEDULE_DELAY: '200' } },
    );
    apiUrl = api.match[2]!;
    inspector = await connectInspector(api.match[1]!);
  });

  after(async () => {
    inspector?.close();
    if (api) await stopChild(api.child, 10_000);
    await new Promise((resolve) => otlpSink.close(resolve));
    redis.disconnect();
    await deleteKeys(prefix);
  });

  const snapshot = async (): Promise<Snapshot> => {
    const [published, counted, orders] = await Promise.all([
      redis.xlen(`${prefix}orders`),
      redis.hget(`${prefix}analytics:stages`, 'api'),
      keysWithPrefix(redis, `${prefix}order:`),
    ]);
    return { published, stored: orders.length, counted: Number(counted ?? 0) };
  };

  const post = async (
    body: Uint8Array | string,
    contentType: string | undefined,
    query = '',
  ): Promise<Answer> => {
    const res = await fetch(`${apiUrl}/order${query}`, {
      method: 'POST',
      headers: contentType === undefined ? {} : { 'content-type': contentType },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, text: await res.text() };
  };

  /** What every answer must be: 202 with the order on the bus and in the store, or a clean 4xx. */
  const checkAnswer = async (sent: string, answer: Answer, before: Snapshot) => {
    const now = await snapshot();
    assert.ok(answer.status < 500, `a ${answer.status}: ${answer.text}`);
    if (answer.status === 202) {
      const { id, status } = JSON.parse(answer.text) as { id: string; status: string };
      assert.equal(status, 'accepted');
      assert.deepEqual(
        now,
        { published: before.published + 1, stored: before.stored + 1, counted: before.counted + 1 },
        'one order stored, published and counted',
      );
      const parsed = JSON.parse(sent) as { item: string; quantity: number };
      // The message as a consumer reads it, through the consumers' decoder.
      const [[, fields]] = (await redis.xrevrange(`${prefix}orders`, '+', '-', 'COUNT', 1)) as [
        [string, string[]],
      ];
      const value = fields[fields.indexOf('value') + 1]!;
      const order = decodeOrder(value);
      assert.deepEqual(
        { id: order.id, item: order.item, quantity: order.quantity },
        { id, item: parsed.item, quantity: parsed.quantity },
        'the published order is what was sent',
      );
      const record = await redis.hgetall(`${prefix}order:${id}`);
      assert.deepEqual(
        { item: record.item, quantity: record.quantity },
        { item: parsed.item, quantity: String(parsed.quantity) },
        'the stored order is what was sent',
      );
      return;
    }
    assert.ok(answer.status >= 400, `status ${answer.status}`);
    const error = JSON.parse(answer.text) as {
      statusCode: unknown;
      code: unknown;
      message: unknown;
    };
    assert.equal(error.statusCode, answer.status, answer.text);
    assert.equal(typeof error.code, 'string', answer.text);
    assert.ok(typeof error.message === 'string' && error.message.length > 0, answer.text);
    assert.deepEqual(now, before, 'nothing stored, published or counted');
  };

  test('order-like JSON: a 202 is decoded by the consumers as sent; a refusal is a JSON 4xx that stores nothing', async () => {
    await fc.assert(
      fc.asyncProperty(orderLikeBody, jsonContentType, async (body, type) => {
        const before = await snapshot();
        const answer = await post(body, type);
        await checkAnswer(body, answer, before);
        // Both sides refuse alike: an order the API turned down, the consumers would too.
        const fields = answer.status === 400 ? orderFields(body) : undefined;
        if (fields) {
          const wouldBe = { id: randomUUID(), createdAtMs: Date.now(), ...fields };
          assert.throws(
            () => decodeOrder(JSON.stringify(wouldBe)),
            `refused by the API but decodable: ${answer.text}`,
          );
        }
      }),
      { numRuns: 300, includeErrorInReport: true },
    );
  });

  test('random bytes and JSON values, any content type: never a 5xx, nothing stored or published', async () => {
    const query = fc.option(
      fc.oneof(
        fc.constantFrom('?intensity=light', '?intensity=severe', '?intensity=', '?x=1'),
        fc.string({ maxLength: 10 }).map((s) => `?intensity=${encodeURIComponent(s)}`),
      ),
      { nil: '' },
    );
    await fc.assert(
      fc.asyncProperty(anyBody, anyContentType, query, async (body, type, q) => {
        const before = await snapshot();
        const answer = await post(body, type, q);
        await checkAnswer(Buffer.from(body).toString('utf8'), answer, before);
      }),
      { numRuns: 300, includeErrorInReport: true },
    );
  });

  test('thousands of bad requests leave the API heap flat', async (t) => {
    // Bad requests of every kind, each with a body of about 12 KB: a leak of the body, or of
    // anything else per request, grows the heap round after round.
    const padding = 'x'.repeat(12 * 1024);
    const bad: Array<[string, string | undefined]> = [
      [`{"item":"${padding}","quantity":1}`, 'application/json'],
      [`{"item":"a","quantity":1.5,"note":"${padding}"}`, 'application/json'],
      [`{"item":"${padding}`, 'application/json'],
      [`{"item":"a","quantity":1}${padding}`, 'application/json'],
      [padding, 'text/plain'],
      [padding, 'application/json; charset=latin1'],
      [`[${'1,'.repeat(6 * 1024)}1]`, 'application/json'],
      [padding.repeat(2), 'application/json'],
      [padding, undefined],
    ];
    const ROUND = 1000;
    const round = async (): Promise<void> => {
      let next = 0;
      const client = async () => {
        while (next < ROUND) {
          const [body, type] = bad[next++ % bad.length]!;
          const { status } = await post(body, type);
          assert.ok(status >= 400 && status < 500, `a bad request answered ${status}`);
        }
      };
      await Promise.all(Array.from({ length: 8 }, client));
    };
    const settle = async (): Promise<HeapReading> => {
      // Past the span batch delay, so the round's spans are exported, not queued.
      await new Promise((r) => setTimeout(r, 600));
      return inspector!.heapAfterGc();
    };

    const before = await snapshot();
    await round(); // warm-up: code compiled, caches and pools filled
    const readings = [await settle()];
    for (let i = 0; i < 2; i++) {
      await round();
      readings.push(await settle());
    }
    const first = readings[0]!;
    const last = readings.at(-1)!;
    const heapGrowthMb =
      (last.heapUsedBytes + last.externalBytes - first.heapUsedBytes - first.externalBytes) / MB;
    const rssGrowthMb = (last.rssBytes - first.rssBytes) / MB;
    t.diagnostic(
      `after a warm-up and each round of ${ROUND} bad requests: heap + external after GC ${readings
        .map((r) => ((r.heapUsedBytes + r.externalBytes) / MB).toFixed(2))
        .join(', ')} MB; RSS ${readings.map((r) => (r.rssBytes / MB).toFixed(0)).join(', ')} MB`,
    );
    // What a leak would add over the two rounds: 1 KB kept per request is 2 MB, a kept body
    // 24 MB. Without one the heap moves by a few hundred KB (compiled code, caches).
    assert.ok(
      heapGrowthMb < 2,
      `heap grew ${heapGrowthMb.toFixed(2)} MB over ${2 * ROUND} requests`,
    );
    // RSS follows the allocator, not only what is kept: a loose bound, for a gross leak.
    assert.ok(rssGrowthMb < 32, `RSS grew ${rssGrowthMb.toFixed(0)} MB over ${2 * ROUND} requests`);
    assert.deepEqual(await snapshot(), before, 'nothing stored, published or counted');
  });
});
