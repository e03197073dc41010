import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMs, formatRows, plannedSendTimesMs } from '../../src/load/index.js';
import { LatencyRecorder } from '../../src/load/histogram.js';
import { defaultConnections } from '../../src/load/schedule.js';

test('plans: the loop, a burst, a rate', () => {
  assert.deepEqual(
    [...plannedSendTimesMs({ mode: 'interval', count: 3, intervalMs: 1000 })],
    [0, 1000, 2000],
  );
  assert.deepEqual([...plannedSendTimesMs({ mode: 'burst', count: 3 })], [0, 0, 0]);
  const rate = plannedSendTimesMs({ mode: 'rate', ratePerSec: 4, durationMs: 1500 });
  assert.deepEqual([...rate], [0, 250, 500, 750, 1000, 1250]);
  assert.equal(defaultConnections({ mode: 'rate', ratePerSec: 100, durationMs: 1000 }), 200);
  assert.equal(defaultConnections({ mode: 'burst', count: 5000 }), 1024);
});

test('percentiles of a known distribution, never above the largest value', () => {
  const r = new LatencyRecorder();
  for (let i = 1; i <= 1000; i++) r.recordMs(i);
  const s = r.summary();
  assert.equal(s.count, 1000);
  for (const [got, want] of [
    [s.p50, 500],
    [s.p90, 900],
    [s.p99, 990],
    [s.p999, 999],
    [s.max, 1000],
  ] as const) {
    assert.ok(Math.abs(got - want) <= want * 0.001, `${got} ≈ ${want}`);
  }
  assert.ok(s.p999 <= s.max);
});

test('rows as CSV quote what needs quoting; JSON lines keep nulls', () => {
  const outcomes = [
    {
      index: 0,
      plannedMs: 0,
      sentMs: 0.5,
      waitedForConnection: false,
      latencyMs: 3,
      status: 202,
      orderId: 'o1',
      traceId: 't1',
    },
    {
      index: 1,
      plannedMs: 10,
      sentMs: 10.25,
      waitedForConnection: false,
      error: 'HTTP 400 "bad", really',
    },
  ];
  const done = new Map([['o1', { orderId: 'o1', endToEndMs: 1200 }]]);
  assert.equal(
    formatRows(outcomes, done, 'csv'),
    'index,planned_ms,sent_ms,latency_ms,status,error,order_id,trace_id,completed,end_to_end_ms\n' +
      '0,0,0.5,3,202,,o1,t1,true,1200\n' +
      '1,10,10.25,,,"HTTP 400 ""bad"", really",,,,\n',
  );
  const lines = formatRows(outcomes, done, 'jsonl')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines[1]!.completed, null);
  assert.equal(lines[0]!.end_to_end_ms, 1200);
});

test('durations as a person reads them', () => {
  assert.deepEqual([0.25, 5, 850, 1000, 1500, 61_000, 150_000].map(formatMs), [
    '0.25 ms',
    '5.0 ms',
    '850 ms',
    '1 s',
    '1.5 s',
    '61 s',
    '2 min 30 s',
  ]);
});
