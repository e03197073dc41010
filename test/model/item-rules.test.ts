import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeOrder,
  describeSchemaErrors,
  encodeOrder,
  graphemeCount,
  ITEM_MAX_CODE_POINTS,
  ITEM_MAX_LENGTH,
  ORDER_REQUEST_SCHEMA,
  validatorFor,
} from '../../src/model/index.js';
import { ITEM_CASES } from './item-cases.js';

const FAMILY = '👨‍👩‍👧‍👦';

/** What the API answers for an item: undefined when valid, else the message it sends. */
function requestRefusal(item: unknown): string | undefined {
  const validate = validatorFor(ORDER_REQUEST_SCHEMA);
  return validate({ item, quantity: 1 }) ? undefined : describeSchemaErrors(validate.errors ?? []);
}

/** What a consumer does with the item on the bus: undefined when decoded, else the reason. */
function decodeRefusal(item: unknown): string | undefined {
  const order = { id: '0b8f4d3e-8a57-4d6f-9a39-6a1de3a0f4b1', quantity: 1, createdAtMs: 1 };
  try {
    decodeOrder(JSON.stringify({ ...order, item }));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

test('an item is counted in graphemes: what a reader sees as one character is one', () => {
  assert.equal(FAMILY.length, 11, 'seven code points, eleven UTF-16 units');
  assert.equal(graphemeCount(FAMILY), 1);
  assert.equal(graphemeCount(FAMILY.repeat(30)), 30);
  assert.equal(graphemeCount('caf\u00e9'), 4);
  assert.equal(graphemeCount('cafe\u0301'), 4, 'a combining accent joins its letter');
  assert.equal(graphemeCount('e\u0301'), 1);
  assert.equal(graphemeCount('🇫🇷'), 1);
  assert.equal(graphemeCount('🏴󠁧󠁢󠁳󠁣󠁴󠁿'), 1, 'a flag with tag characters');
  assert.equal(graphemeCount(''), 0);
  // Counting stops past the limit asked for: a long string costs what a short one does.
  assert.equal(graphemeCount('x'.repeat(10_000), ITEM_MAX_LENGTH), ITEM_MAX_LENGTH + 1);
});

for (const { name, item, refusedFor } of ITEM_CASES) {
  test(`the API and the consumers' decoder agree on an item: ${name}`, () => {
    const api = requestRefusal(item);
    const bus = decodeRefusal(item);
    if (refusedFor === undefined) {
      assert.equal(api, undefined, `the API refused it: ${api}`);
      assert.equal(bus, undefined, `the decoder refused it: ${bus}`);
      return;
    }
    assert.match(api ?? 'accepted', refusedFor);
    assert.match(bus ?? 'decoded', refusedFor);
  });
}

test('each refusal names its rule in words, and only the rules that failed', () => {
  assert.equal(
    requestRefusal('\u001b[31mred'),
    'item must be free of control characters (NUL, escape, newline, tab…)',
  );
  assert.equal(
    requestRefusal('\u200b'),
    'item must be more than white space and invisible characters (U+200B, U+200D…): at least one visible character',
  );
  assert.equal(
    requestRefusal('x'.repeat(ITEM_MAX_LENGTH + 1)),
    `item must be 1 to ${ITEM_MAX_LENGTH} characters long, counted as a reader does (one emoji is one; at most ${ITEM_MAX_CODE_POINTS} code points)`,
  );
  assert.equal(requestRefusal('a\ud800'), 'item must be valid Unicode (no lone surrogate)');
  assert.equal(requestRefusal(3), 'item must be a string');
});

test('a huge item is refused, by its length, once', () => {
  assert.equal(
    requestRefusal(FAMILY.repeat(5_000)),
    `item must be 1 to ${ITEM_MAX_LENGTH} characters long, counted as a reader does (one emoji is one; at most ${ITEM_MAX_CODE_POINTS} code points)`,
  );
});

test('an order encoded for the bus decodes back with its item unchanged', () => {
  const order = {
    id: '0b8f4d3e-8a57-4d6f-9a39-6a1de3a0f4b1',
    item: FAMILY.repeat(ITEM_MAX_LENGTH),
    quantity: 1,
    createdAtMs: 1,
  };
  assert.deepEqual(decodeOrder(encodeOrder(order)), order);
});
