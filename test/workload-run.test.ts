import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { context, propagation, SpanStatusCode } from '@opentelemetry/api';
import { parseCommandLine } from '../src/config/index.js';
import { createResourceMonitor } from '../src/monitor/index.js';
import {
  createWorkload,
  INTENSITY_BAGGAGE_KEY,
  workloadOptions,
  workloadSettingsFrom,
} from '../src/workload/index.js';
import type { Workload, WorkloadDeps, WorkloadSettings } from '../src/workload/index.js';
import { memoryTracing, testRedis } from './helpers/workload-env.js';

const tracing = memoryTracing();
const env = testRedis();
const monitor = createResourceMonitor({ intervalMs: 50 });
const root = mkdtempSync(path.join(tmpdir(), 'tracelab-test-'));
const open: Workload[] = [];

before(() => tracing.exporter.reset());
after(async () => {
  await Promise.all(open.map((w) => w.close()));
  await monitor.close();
  await env.cleanup();
  await tracing.shutdown();
  rmSync(root, { recursive: true, force: true });
});

function settings(argv: string[]): WorkloadSettings {
  return workloadSettingsFrom(parseCommandLine(workloadOptions, argv, {}).values);
}

function workload(argv: string[], extra: Partial<WorkloadDeps> = {}): Workload {
  const w = createWorkload({
    service: 'processing',
    settings: settings(['--workload-scale', '0.002', ...argv]),
    redis: env.redis,
    tracer: tracing.tracer,
    keyPrefix: env.prefix,
    monitor,
    tmpRoot: root,
    ...extra,
  });
  open.push(w);
  return w;
}

function withBaggage<T>(intensity: string, fn: () => Promise<T>): Promise<T> {
  const baggage = propagation.createBaggage({ [INTENSITY_BAGGAGE_KEY]: { value: intensity } });
  return context.with(propagation.setBaggage(context.active(), baggage), fn);
}

test('a run is a child span named after the operation, with workload and resource attributes', async () => {
  tracing.exporter.reset();
  const w = workload(['--seed', '1']);
  const plan = await tracing.tracer.startActiveSpan('business_logic', async (parent) => {
    try {
      return await w.run({ intensity: 'heavy', type: 'cpu_heavy' });
    } finally {
      parent.end();
    }
  });
  assert.deepEqual(plan && { ...plan, items: 0 }, {
    type: 'cpu_heavy',
    intensity: 'heavy',
    operation: 'intensive_prime_computation',
    items: 0,
  });
  const spans = tracing.exporter.getFinishedSpans();
  const span = spans.find((s) => s.name === 'intensive_prime_computation')!;
  const parent = spans.find((s) => s.name === 'business_logic')!;
  assert.equal(span.parentSpanContext?.spanId, parent.spanContext().spanId);
  assert.equal(span.spanContext().traceId, parent.spanContext().traceId);
  const a = span.attributes;
  assert.equal(a['workload.type'], 'cpu_heavy');
  assert.equal(a['workload.intensity'], 'heavy');
  assert.equal(a['workload.operation'], 'intensive_prime_computation');
  assert.equal(a['workload.items'], plan!.items);
  assert.ok(plan!.items >= 100 && plan!.items <= 200, `scaled items ${plan!.items}`);
  for (const key of [
    'resource.cpu.avg',
    'resource.cpu.max',
    'resource.cpu.min',
    'resource.cpu.exact',
    'resource.memory.avg_mb',
    'resource.memory.max_mb',
    'resource.memory.min_mb',
    'resource.samples',
  ]) {
    assert.equal(typeof a[key], 'number', key);
  }
  assert.equal(typeof a['resource.cpu_bound'], 'boolean');
  assert.equal(typeof a['resource.memory_threshold_exceeded'], 'boolean');
  assert.ok((a['resource.memory.max_mb'] as number) > 10);
  assert.equal(span.status.code, SpanStatusCode.UNSET);
});

test('every operation runs through the runner at a small scale', async () => {
  tracing.exporter.reset();
  const w = workload(['--seed', '2']);
  for (const type of ['cpu_heavy', 'io_heavy'] as const) {
    for (const intensity of ['light', 'medium', 'heavy', 'severe'] as const) {
      await w.run({ type, intensity });
    }
  }
  assert.deepEqual(
    tracing.exporter
      .getFinishedSpans()
      .map((s) => s.name)
      .sort(),
    [
      'extreme_cpu_computation',
      'extreme_io_operations',
      'file_and_redis',
      'hash_computation',
      'intensive_io_operations',
      'intensive_prime_computation',
      'json_processing',
      'redis_basic',
    ],
  );
  assert.deepEqual(readdirSync(root), []);
});

test('precedence: baggage > --intensity for the service > mix; bad baggage is ignored', async () => {
  const fixed = workload(['--intensity', 'processing=heavy', '--intensity', 'api=light']);
  const free = workload(['--seed', '3']);
  assert.equal(
    (await withBaggage('light', () => fixed.run({ type: 'io_heavy' })))?.intensity,
    'light',
  );
  assert.equal(
    (await withBaggage('extreme', () => fixed.run({ type: 'io_heavy' })))?.intensity,
    'heavy',
  );
  assert.equal((await fixed.run({ type: 'io_heavy' }))?.intensity, 'heavy');
  // Without either, the processing mix: medium, heavy or severe, never light.
  const drawn = new Set<string>();
  for (let i = 0; i < 30; i++) drawn.add((await free.run({ type: 'io_heavy' }))!.intensity);
  assert.deepEqual([...drawn].sort(), ['heavy', 'medium', 'severe']);
  // The request of the caller wins over baggage.
  assert.equal(
    (await withBaggage('severe', () => free.run({ type: 'io_heavy', intensity: 'medium' })))
      ?.intensity,
    'medium',
  );
});

test('the same seed repeats the same runs', async () => {
  const a = workload(['--seed', '99', '--workload-scale', '0.0001']);
  const b = workload(['--seed', '99', '--workload-scale', '0.0001']);
  const runsA = [];
  const runsB = [];
  for (let i = 0; i < 8; i++) runsA.push(await a.run());
  for (let i = 0; i < 8; i++) runsB.push(await b.run());
  assert.deepEqual(runsA, runsB);
});

test('--workload none runs nothing and makes no span', async () => {
  tracing.exporter.reset();
  const w = workload(['--workload', 'none']);
  assert.equal(await w.run(), undefined);
  assert.equal(await withBaggage('severe', () => w.run()), undefined);
  assert.equal(tracing.exporter.getFinishedSpans().length, 0);
});

test('a failing operation marks its span ERROR with error.type, rethrows and cleans up', async (t) => {
  tracing.exporter.reset();
  const { Redis } = await import('ioredis');
  const offline = new Redis({
    port: 1,
    lazyConnect: true,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  offline.on('error', () => undefined);
  t.after(() => offline.disconnect());
  const w = workload([], { redis: offline });
  await assert.rejects(w.run({ type: 'io_heavy', intensity: 'medium' }));
  const [span] = tracing.exporter.getFinishedSpans();
  assert.equal(span?.name, 'file_and_redis');
  assert.equal(span.status.code, SpanStatusCode.ERROR);
  assert.equal(span.attributes['error.type'], 'Error');
  assert.equal(span.events[0]?.name, 'exception');
  assert.equal(typeof span.attributes['resource.cpu.exact'], 'number');
  assert.deepEqual(readdirSync(root), []);
});

test('close stops the pool and its own monitor; a closed runner refuses work', async () => {
  const w = createWorkload({
    service: 'analytics',
    settings: settings(['--workload-scale', '0.001']),
    redis: env.redis,
    tracer: tracing.tracer,
    keyPrefix: env.prefix,
  });
  await w.run({ type: 'cpu_heavy', intensity: 'severe' });
  await w.close();
  await assert.rejects(w.run(), /the workload runner is closed/);
});
