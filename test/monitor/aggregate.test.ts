import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  aggregate,
  MIN_PROCESS_MEASURED_MS,
  MIN_THREAD_MEASURED_MS,
  resourceAttributes,
} from '../../src/monitor/index.js';
import type { AggregateInput, ResourcePoint, SpanThreadCpu } from '../../src/monitor/index.js';

const MB = 1024 * 1024;
const MS = 1e6; // ns
const p = (timeMs: number, cpuMs: number, rssMb: number): ResourcePoint => ({
  timeMs,
  cpuUs: cpuMs * 1000,
  rssBytes: rssMb * MB,
});
/** The span's main thread used `mainMs`; pool tasks as [thread, ms]. */
const threads = (mainMs: number, tasks: Array<[number, number]> = []): SpanThreadCpu => ({
  startNs: 5 * MS,
  endNs: 5 * MS + mainMs * MS,
  others: tasks.map(([thread, ms]) => ({ thread, cpuNs: ms * MS })),
  complete: true,
});
const limits = { cpuThresholdPercent: 80, memoryThresholdMb: 200, cores: 2 };
const input = (over: Partial<AggregateInput>): AggregateInput => ({
  start: p(0, 0, 60),
  end: p(100, 0, 60),
  samples: [],
  threads: threads(0),
  ...limits,
  ...over,
});

test('CPU is what the span’s threads used over its wall time, not what the process used', () => {
  // The process used 180 ms in 100 ms (other work); the span's thread 40 ms.
  const f = aggregate(input({ end: p(100, 180, 60), threads: threads(40) }));
  assert.deepEqual(f.cpu, {
    avg: 40,
    max: 40,
    min: 40,
    bound: false,
    source: 'thread',
    threads: 1,
  });
});

test('pool tasks add their threads’ time; each thread counts at most the wall time', () => {
  // Main thread 2 ms; thread 1 ran two tasks (45 + 45 ms), thread 2 one of 90 ms.
  const f = aggregate(
    input({
      threads: threads(2, [
        [1, 45],
        [1, 45],
        [2, 90],
      ]),
    }),
  );
  assert.equal(f.cpu?.avg, 182);
  assert.equal(f.cpu?.threads, 3);
  assert.equal(f.cpu?.bound, true);
  // A thread claiming more than the span's wall time (a stale reading) is held to it.
  const g = aggregate(input({ threads: threads(150, [[1, 130]]) }));
  assert.equal(g.cpu?.avg, 200);
});

test('no CPU figure goes above cores × 100', () => {
  const f = aggregate(
    input({
      threads: threads(100, [
        [1, 100],
        [2, 100],
        [3, 100],
      ]),
    }),
  );
  assert.equal(f.cpu?.avg, 200);
  const one = aggregate(input({ cores: 1, threads: threads(100, [[1, 100]]) }));
  assert.equal(one.cpu?.avg, 100);
  // The process-wide samples are held to the cores too.
  const sampled = aggregate(
    input({
      end: p(400, 0, 60),
      samples: [p(50, 0, 60), p(150, 300, 60), p(250, 400, 60), p(350, 500, 60)],
      threads: threads(390),
    }),
  );
  assert.equal(sampled.cpu?.max, 200);
});

test('a span too short to measure has no CPU figure, only the mark, and its memory', () => {
  const short = MIN_THREAD_MEASURED_MS * 0.8;
  const f = aggregate(input({ end: p(short, 50, 61), threads: threads(short) }));
  assert.equal(f.cpu, undefined);
  assert.deepEqual(resourceAttributes(f), {
    'resource.cpu.measured': false,
    'resource.memory.avg_mb': 60.5,
    'resource.memory.max_mb': 61,
    'resource.memory.min_mb': 60,
    'resource.memory_threshold_exceeded': false,
    'resource.samples': 0,
  });
  // Just long enough: measured.
  const ok = aggregate(
    input({ end: p(MIN_THREAD_MEASURED_MS, 0, 60), threads: threads(MIN_THREAD_MEASURED_MS) }),
  );
  assert.equal(ok.cpu?.avg, 100);
});

test('a pool thread whose time could not be read leaves the span unmeasured', () => {
  const f = aggregate(input({ threads: { ...threads(10, [[1, 50]]), complete: false } }));
  assert.equal(f.cpu, undefined);
});

test('without per-thread CPU time, process CPU time, only for spans of 100 ms and more', () => {
  const noThread = { startNs: undefined, endNs: undefined, others: [], complete: true };
  const f = aggregate(input({ end: p(MIN_PROCESS_MEASURED_MS, 150, 60), threads: noThread }));
  assert.deepEqual(f.cpu, { avg: 150, max: 150, min: 150, bound: true, source: 'process' });
  assert.equal(resourceAttributes(f)['resource.cpu.source'], 'process');
  assert.equal(resourceAttributes(f)['resource.cpu.threads'], undefined);
  const short = aggregate(input({ end: p(50, 50, 60), threads: noThread }));
  assert.equal(short.cpu, undefined);
});

test('max and min come from whole sampler intervals inside the span, when there are two or more', () => {
  // Samples at 50, 150, 250 (two whole intervals: 100 % and 150 %), span 0 → 300.
  const samples = [
    p(-50, 0, 10),
    p(50, 10, 70),
    p(150, 110, 90),
    p(250, 260, 80),
    p(350, 999, 500),
  ];
  const f = aggregate(input({ end: p(300, 300, 80), samples, threads: threads(240) }));
  assert.equal(f.samples, 3);
  assert.deepEqual([f.cpu?.avg, f.cpu?.max, f.cpu?.min], [80, 150, 80]);
  assert.equal(f.memoryMinMb, 60);
  assert.equal(f.memoryMaxMb, 90);
  assert.equal(f.memoryAvgMb, 76);
  // One whole interval only: the average is the only true figure.
  const one = aggregate(
    input({
      end: p(200, 200, 60),
      samples: [p(50, 10, 60), p(150, 110, 60)],
      threads: threads(60),
    }),
  );
  assert.equal(one.samples, 2);
  assert.deepEqual([one.cpu?.avg, one.cpu?.max, one.cpu?.min], [30, 30, 30]);
});

test('thresholds set the flags both ways', () => {
  const run = (cpuThresholdPercent: number, memoryThresholdMb: number) =>
    aggregate(
      input({
        end: p(200, 0, 150),
        samples: [p(100, 90, 250)],
        threads: threads(180),
        cpuThresholdPercent,
        memoryThresholdMb,
      }),
    );
  assert.equal(run(80, 200).cpu?.bound, true);
  assert.equal(run(95, 200).cpu?.bound, false);
  assert.equal(run(80, 200).memoryThresholdExceeded, true);
  assert.equal(run(80, 250).memoryThresholdExceeded, false);
});

test('attributes use the spec names, with the measurement mark and source', () => {
  const f = aggregate(
    input({ start: p(0, 0, 64), end: p(100, 0, 64), threads: threads(50, [[1, 100]]) }),
  );
  assert.deepEqual(resourceAttributes(f), {
    'resource.cpu.avg': 150,
    'resource.cpu.max': 150,
    'resource.cpu.min': 150,
    'resource.cpu_bound': true,
    'resource.cpu.measured': true,
    'resource.cpu.source': 'thread',
    'resource.cpu.threads': 2,
    'resource.memory.avg_mb': 64,
    'resource.memory.max_mb': 64,
    'resource.memory.min_mb': 64,
    'resource.memory_threshold_exceeded': false,
    'resource.samples': 0,
  });
});

test('the input is not changed', () => {
  const i = input({ samples: [p(100, 50, 2)], end: p(200, 100, 3), threads: threads(5, [[1, 3]]) });
  const copy = structuredClone(i);
  aggregate(i);
  assert.deepEqual(i, copy);
});
