import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration, parseTraceQuery } from '../../src/collector/query/params.js';

test('parseDuration reads Jaeger (Go) durations in microseconds', () => {
  const cases: [string, number | undefined][] = [
    ['1.2s', 1_200_000],
    ['100ms', 100_000],
    ['50us', 50],
    ['50µs', 50],
    ['1m30s', 90_000_000],
    ['2d', 172_800_000_000],
    ['1h', 3_600_000_000],
    ['1500ns', 2],
    ['', undefined],
    ['10', undefined],
    ['1.2 s', undefined],
    ['fast', undefined],
  ];
  for (const [text, us] of cases) assert.equal(parseDuration(text), us, text);
});

test('parseTraceQuery: defaults, lookback and limits', () => {
  const now = 10_000_000_000;
  const q = parseTraceQuery({ service: 's', lookback: '1h' }, now);
  assert.deepEqual(q, {
    service: 's',
    operation: '',
    tags: {},
    startUs: now - 3_600_000_000,
    endUs: now,
    limit: 100,
  });
  const custom = parseTraceQuery(
    {
      service: 's',
      start: '5',
      end: '9',
      lookback: 'custom',
      limit: '20',
      minDuration: '1ms',
      tag: ['a:b:c'],
    },
    now,
  );
  assert.deepEqual(custom, {
    service: 's',
    operation: '',
    tags: { a: 'b:c' },
    minDurationUs: 1000,
    startUs: 5,
    endUs: 9,
    limit: 20,
  });
});
