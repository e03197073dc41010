import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readDeadLetter, toDeadLetter, toReplay } from '../../src/bus/index.js';
import type { IncomingMessage } from '../../src/bus/index.js';
import { decodeEntry, encodeEntry } from '../../src/bus/redis-streams.js';

/** A malformed entry as a hand-made `XADD <prefix>orders * foo bar` leaves it: no value. */
const malformed: IncomingMessage = decodeEntry('orders', '1700000000000-0', ['foo', 'bar'], 1);

test("a dead letter keeps the original entry's own fields beside its record", () => {
  const letter = toDeadLetter(
    malformed,
    'processing-service',
    { type: 'MalformedOrderError', reason: 'message body is not JSON' },
    5,
  );
  assert.deepEqual(letter.extraFields, [['foo', 'bar']]);
  assert.equal(letter.headers?.['x-dlq-reason'], 'message body is not JSON');
  // On the stream: the field under its own name, the record as headers.
  const fields = encodeEntry(letter);
  assert.equal(fields[fields.indexOf('foo') + 1], 'bar');
  assert.equal(fields[fields.indexOf('h:x-dlq-reason') + 1], 'message body is not JSON');

  // Read back from the dead-letter stream, then replayed: the entry goes back as it came.
  const stored = decodeEntry('orders.dlq', '1700000000001-0', fields, 1);
  assert.deepEqual(readDeadLetter(stored)?.extraFields, [['foo', 'bar']]);
  const replay = toReplay(stored);
  assert.deepEqual(replay.extraFields, [['foo', 'bar']]);
  assert.deepEqual(replay.headers, {});
  assert.deepEqual(encodeEntry(replay), ['value', '', 'foo', 'bar']);
});

test('a message with no fields of its own gets none added', () => {
  const plain = decodeEntry('orders', '1-0', ['value', '{}', 'key', 'k'], 1);
  const letter = toDeadLetter(plain, 'g', { type: 'Error', reason: 'r' }, 1);
  assert.equal('extraFields' in letter, false);
  assert.equal('extraFields' in toReplay(plain), false);
});
