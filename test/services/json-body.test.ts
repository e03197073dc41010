import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { firstInvalidUtf8Byte } from '../../src/services/api/json-body.js';

const decoder = new TextDecoder('utf-8', { fatal: true });
const decodes = (bytes: Uint8Array): boolean => {
  try {
    decoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
};

test('the offset named is the first byte of the first sequence that is not UTF-8', () => {
  const at = (hex: string) => firstInvalidUtf8Byte(Buffer.from(hex.replace(/ /g, ''), 'hex'));
  assert.equal(at('7b 22 61 22 7d'), -1, 'ASCII');
  assert.equal(at('63 61 66 c3 a9'), -1, 'café');
  assert.equal(at('f0 9f 98 80'), -1, 'an emoji');
  assert.equal(at('63 61 66 e9'), 3, 'Latin-1 é');
  assert.equal(at('61 ff 61'), 1, 'a byte UTF-8 never uses');
  assert.equal(at('61 80'), 1, 'a lone continuation byte');
  assert.equal(at('c0 af'), 0, 'an overlong "/"');
  assert.equal(at('e0 80 af'), 0, 'an overlong three-byte form');
  assert.equal(at('61 ed a0 80'), 1, 'a surrogate (U+D800) encoded');
  assert.equal(at('f4 90 80 80'), 0, 'past U+10FFFF');
  assert.equal(at('61 62 f0 9f 98'), 2, 'a sequence cut short at the end');
});

test('it finds a bad byte exactly when the fatal decoder refuses, and the bytes before it decode', () => {
  // Bytes with many multi-byte lead and continuation bytes, so sequences form and break.
  const byte = fc.oneof(
    fc.integer({ min: 0x20, max: 0x7e }),
    fc.integer({ min: 0x80, max: 0xbf }),
    fc.integer({ min: 0xc0, max: 0xff }),
  );
  fc.assert(
    fc.property(fc.array(byte, { maxLength: 24 }), (list) => {
      const bytes = Uint8Array.from(list);
      const at = firstInvalidUtf8Byte(bytes);
      assert.equal(at === -1, decodes(bytes));
      if (at >= 0) assert.ok(decodes(bytes.subarray(0, at)), `the ${at} bytes before decode`);
    }),
    { numRuns: 5_000 },
  );
});
