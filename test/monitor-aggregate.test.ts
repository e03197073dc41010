import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregate, resourceAttributes } from '../src/monitor/index.js';
import type { ResourcePoint } from '../src/monitor/index.js';

const MB = 1024 * 1024;
const p = (timeMs: number, cpuMs: number, rssMb: number): ResourcePoint => ({
  timeMs,
  cpuUs: cpuMs * 1000,
  rssBytes: rssMb * MB,
});
const limits = { intervalMs: 100, cpuThresholdPercent: 80, memoryThresholdMb: 200 };

test('per-interval CPU as % of one core; memory in MB; samples counted inside the span', () => {
  // start ──100 ms, 50 ms CPU──▶ s1 ──100 ms, 200 ms CPU──▶ s2 ──100 ms, 100 ms CPU──▶ end
  const f = aggregate({
    start: p(1000, 0, 60),
    samples: [p(900, 0, 10), p(1100, 50, 70), p(1200, 250, 90), p(1400, 999, 500)],
    end: p(1300, 350, 80),
    ...limits,
  });
  assert.equal(f.samples, 2);
  assert.equal(f.cpuMin, 50);
  assert.equal(f.cpuMax, 200);
  assert.equal(f.cpuAvg, 116.7);
  assert.equal(f.cpuExact, 116.7);
  assert.equal(f.cpuBound, true);
  assert.equal(f.memoryMinMb, 60);
  assert.equal(f.memoryMaxMb, 90);
  assert.equal(f.memoryAvgMb, 75);
  assert.equal(f.memoryThresholdExceeded, false);
});

test('a span shorter than one interval has no samples and the exact figure everywhere', () => {
  const f = aggregate({ start: p(0, 0, 50), samples: [], end: p(20, 6, 52), ...limits });
  assert.equal(f.samples, 0);
  assert.deepEqual([f.cpuAvg, f.cpuMax, f.cpuMin, f.cpuExact], [30, 30, 30, 30]);
  assert.equal(f.cpuBound, false);
  assert.equal(f.memoryMaxMb, 52);
});

test('slices shorter than half an interval merge with a neighbour instead of adding noise', () => {
  // A sample 2 ms after the start and the end 3 ms after the last sample.
  const f = aggregate({
    start: p(0, 0, 1),
    samples: [p(2, 2, 1), p(102, 102, 1), p(202, 152, 1)],
    end: p(205, 155, 1),
    ...limits,
  });
  // Intervals: start→102 (100 %) and 102→end (53 ms CPU in 103 ms), not 2 ms or 3 ms slices.
  assert.equal(f.samples, 3);
  assert.equal(f.cpuMax, 100);
  assert.equal(f.cpuMin, 51.5);
});

test('thresholds set the flags both ways; exact CPU counts for cpu_bound', () => {
  const run = (cpuThresholdPercent: number, memoryThresholdMb: number) =>
    aggregate({
      start: p(0, 0, 150),
      samples: [p(100, 90, 250)],
      end: p(200, 180, 150),
      intervalMs: 100,
      cpuThresholdPercent,
      memoryThresholdMb,
    });
  assert.equal(run(80, 200).cpuBound, true);
  assert.equal(run(95, 200).cpuBound, false);
  assert.equal(run(80, 200).memoryThresholdExceeded, true);
  assert.equal(run(80, 250).memoryThresholdExceeded, false);
});

test('attributes use the spec names', () => {
  const f = aggregate({ start: p(0, 0, 64), samples: [], end: p(100, 150, 64), ...limits });
  assert.deepEqual(resourceAttributes(f), {
    'resource.cpu.avg': 150,
    'resource.cpu.max': 150,
    'resource.cpu.min': 150,
    'resource.cpu.exact': 150,
    'resource.cpu_bound': true,
    'resource.memory.avg_mb': 64,
    'resource.memory.max_mb': 64,
    'resource.memory.min_mb': 64,
    'resource.memory_threshold_exceeded': false,
    'resource.samples': 0,
  });
});

test('the input is not changed', () => {
  const input = { start: p(0, 0, 1), samples: [p(100, 50, 2)], end: p(200, 100, 3), ...limits };
  const copy = structuredClone(input);
  aggregate(input);
  assert.deepEqual(input, copy);
});
