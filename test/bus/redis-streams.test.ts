import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBus } from '../../src/bus/index.js';
import { decodeEntry, encodeEntry } from '../../src/bus/redis-streams.js';

test('entries decode back to the message; publishedAtMs is the entry id time', () => {
  const fields = encodeEntry({ value: 'v', headers: { a: '1' } });
  assert.deepEqual(decodeEntry('orders', '1700000000123-4', fields, 1), {
    topic: 'orders',
    messageId: '1700000000123-4',
    value: 'v',
    headers: { a: '1' },
    publishedAtMs: 1700000000123,
    deliveryCount: 1,
  });
});

test('an entry with fields of its own keeps them, in order, and writes them back as they were', () => {
  // As `XADD <prefix>orders * foo bar value {} zip zap` would have it.
  const fields = ['foo', 'bar', 'value', '{}', 'h:traceparent', 'tp', 'zip', 'zap'];
  const message = decodeEntry('orders', '1700000000123-4', fields, 1);
  assert.deepEqual(message.extraFields, [
    ['foo', 'bar'],
    ['zip', 'zap'],
  ]);
  assert.deepEqual(message.headers, { traceparent: 'tp' });
  assert.deepEqual(encodeEntry(message), [
    'value',
    '{}',
    'h:traceparent',
    'tp',
    'foo',
    'bar',
    'zip',
    'zap',
  ]);
  // A malformed entry with no value at all: its fields are all it has.
  assert.deepEqual(decodeEntry('orders', '1-0', ['foo', 'bar'], 1).extraFields, [['foo', 'bar']]);
});

test("an extra field never stands in for the message's own value, key or headers", () => {
  const fields = encodeEntry({
    value: 'v',
    extraFields: [
      ['value', 'forged'],
      ['key', 'forged'],
      ['h:traceparent', 'forged'],
      ['note', 'kept'],
    ],
  });
  assert.deepEqual(fields, ['value', 'v', 'note', 'kept']);
});

test('createBus: unreachable Redis is a clear error, quickly', async () => {
  const started = Date.now();
  await assert.rejects(createBus({ kind: 'redis', redisUrl: 'redis://user:secret@127.0.0.1:1' }), {
    name: 'BusError',
    code: 'BUS_ERR_UNREACHABLE',
    message:
      'cannot reach Redis at redis://user:***@127.0.0.1:1 (connection refused): start redis-server, set REDIS_URL, or use Docker (docker compose up)',
  });
  assert.ok(Date.now() - started < 5_000);
});
