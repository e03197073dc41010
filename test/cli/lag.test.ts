import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLagTable } from '../../src/cli/lag.js';

test('the lag table lines up its columns', () => {
  const text = formatLagTable([
    {
      group: 'processing-service',
      topic: 'orders',
      committed: '5-0',
      end: '9-0',
      lag: 4,
      pending: 1,
      deadLetters: 2,
    },
    { group: 'g', topic: 'orders', partition: 3, end: '12', lag: 12 },
  ]);
  assert.equal(
    text,
    [
      'GROUP               TOPIC   PARTITION  COMMITTED  END  LAG  PENDING  DEAD',
      'processing-service  orders  -          5-0        9-0    4        1     2',
      'g                   orders  3          -          12    12        -     -',
      '',
    ].join('\n'),
  );
});
