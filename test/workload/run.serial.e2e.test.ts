import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { context, propagation, SpanStatusCode } from '@opentelemetry/api';
import { parseCommandLine } from '../../src/config/index.js';
import { createResourceMonitor, MIN_THREAD_MEASURED_MS } from '../../src/monitor/index.js';
import {
  createWorkload,
  INTENSITY_BAGGAGE_KEY,
  workloadOptions,
  workloadSettingsFrom,
} from '../../src/workload/index.js';
import type { Workload, WorkloadDeps, WorkloadSettings } from '../../src/workload/index.js';
import { measureCpu, memoryTracing, testRedis } from '../helpers/workload-env.js';

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
  // Heavy work on the pool takes well over the shortest measured span, even scaled down.
  assert.equal(a['resource.cpu.measured'], true);
  assert.equal(a['resource.cpu.source'], 'thread');
  assert.equal(a['resource.cpu.threads'], 1 + availableParallelism());
  for (const key of [
    'resource.cpu.avg',
    'resource.cpu.max',
    'resource.cpu.min',
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
  assert.equal(typeof span.attributes['resource.cpu.measured'], 'boolean');
  assert.equal(typeof span.attributes['resource.memory.max_mb'], 'number');
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

/** The finished workload spans' CPU figures, and how long each span lasted (ms). */
function cpuOf(name?: string) {
  return tracing.exporter
    .getFinishedSpans()
    .filter((s) => name === undefined || s.name === name)
    .map((s) => ({
      name: s.name,
      ms: s.duration[0] * 1000 + s.duration[1] / 1e6,
      measured: s.attributes['resource.cpu.measured'],
      avg: s.attributes['resource.cpu.avg'] as number | undefined,
      max: s.attributes['resource.cpu.max'] as number | undefined,
      min: s.attributes['resource.cpu.min'] as number | undefined,
      bound: s.attributes['resource.cpu_bound'],
      threads: s.attributes['resource.cpu.threads'] as number | undefined,
    }));
}

test('no span reads more CPU than the cores; spans too short to measure carry no CPU figure', async () => {
  tracing.exporter.reset();
  const cores = availableParallelism();
  const w = workload(['--seed', '4', '--workload-scale', '0.05']);
  const light = workload(['--seed', '5', '--workload-scale', '1']);
  // Light json_processing on the main thread while the pool runs heavy and severe work: the
  // process uses several cores, a light span's own thread at most one.
  const heavy = (async () => {
    await w.run({ type: 'cpu_heavy', intensity: 'heavy' });
    await w.run({ type: 'cpu_heavy', intensity: 'severe' });
  })();
  let done = false;
  void heavy.finally(() => (done = true));
  let lights = 0;
  while (!done || lights < 20) {
    await light.run({ type: 'cpu_heavy', intensity: 'light' });
    lights++;
    await new Promise((resolve) => setImmediate(resolve));
  }
  await heavy;
  for (const type of ['cpu_heavy', 'io_heavy'] as const) {
    for (const intensity of ['light', 'medium', 'heavy'] as const) {
      await w.run({ type, intensity });
    }
  }
  const spans = cpuOf();
  const measured = spans.filter((s) => s.measured === true);
  const unmeasured = spans.filter((s) => s.measured === false);
  assert.equal(measured.length + unmeasured.length, spans.length, 'every span says');
  for (const s of measured) {
    const figures = [s.avg, s.max, s.min];
    assert.ok(
      figures.every((n) => typeof n === 'number' && n >= 0 && n <= cores * 100),
      `${s.name}: ${figures.join(' / ')} on ${cores} cores`,
    );
    assert.ok(s.min! <= s.avg! && s.avg! <= s.max!, `${s.name}: ${figures.join(' / ')}`);
    assert.ok(s.ms >= MIN_THREAD_MEASURED_MS, `${s.name} measured in ${s.ms} ms`);
    assert.equal(typeof s.bound, 'boolean');
  }
  for (const s of unmeasured) {
    assert.deepEqual(
      [s.avg, s.max, s.min, s.bound, s.threads],
      [undefined, undefined, undefined, undefined, undefined],
      s.name,
    );
  }
  // Light work runs on the span's own thread only: never more than one core.
  const json = measured.filter((s) => s.name === 'json_processing');
  for (const s of json) {
    assert.equal(s.threads, 1);
    assert.ok(s.avg! <= 100, `json_processing ${s.avg} %`);
  }
  // The pool's operations ran long enough to measure at this scale, on more threads.
  for (const name of ['intensive_prime_computation', 'extreme_cpu_computation']) {
    const [s] = measured.filter((x) => x.name === name);
    assert.ok(s, `${name} measured`);
    assert.equal(s.threads, 1 + cores);
  }
  const lightSpans = spans.filter((s) => s.name === 'json_processing');
  const short = lightSpans.filter((s) => s.ms < MIN_THREAD_MEASURED_MS);
  for (const s of short) assert.equal(s.measured, false, `${s.ms} ms json_processing`);
  console.log(
    `${spans.length} spans, ${unmeasured.length} too short to measure; json_processing: ` +
      `${lightSpans.length} runs, ${json.length} measured (highest ${Math.max(0, ...json.map((s) => s.avg!))} %)`,
  );
});

test(
  'heavy CPU work on the pool reads more CPU than light work, over one core where two are free',
  { skip: availableParallelism() < 2 && `this machine has ${availableParallelism()} core` },
  async (t) => {
    const w = workload(['--seed', '6', '--workload-scale', '0.05']);
    await w.run({ type: 'cpu_heavy', intensity: 'heavy' }); // the pool's threads started
    let mostCores = 0;
    for (let attempt = 1; attempt <= 5; attempt++) {
      tracing.exporter.reset();
      // Light runs, measured ones only (a run shorter than the minimum says so instead).
      const lightWork = workload(['--seed', String(10 + attempt), '--workload-scale', '4']);
      for (let i = 0; i < 5; i++) await lightWork.run({ type: 'cpu_heavy', intensity: 'light' });
      const m = await measureCpu(() => w.run({ type: 'cpu_heavy', intensity: 'heavy' }));
      const light = cpuOf('json_processing').filter((s) => s.measured === true);
      const [heavy] = cpuOf('intensive_prime_computation');
      t.diagnostic(
        `attempt ${attempt}: pool threads got ${m.coresGot.toFixed(2)} cores (wanted ` +
          `${m.coresWanted.toFixed(2)}); heavy ${JSON.stringify(heavy)}; light ${light.map((s) => s.avg).join(', ')}`,
      );
      assert.ok(heavy?.measured === true, 'the heavy span is measured');
      assert.ok(light.length > 0, 'a light span long enough to measure');
      // The span's figure is its threads' own time: what the pool threads got, and no more.
      assert.ok(
        Math.abs(heavy.avg! - m.coresGot * 100) < 20,
        `heavy ${heavy.avg} vs ${m.coresGot}`,
      );
      if (m.coresGot > 1.4) {
        assert.ok(heavy.avg! > 100, `heavy ${heavy.avg} %`);
        assert.ok(heavy.avg! > Math.max(...light.map((s) => s.avg!)), 'heavy above every light');
        return;
      }
      mostCores = Math.max(mostCores, m.coresGot);
    }
    t.skip(
      `the machine never gave the pool two free cores in 5 tries (at most ${mostCores.toFixed(2)}; ` +
        `load average ${loadavg()[0]!.toFixed(1)}): heavy over light was not checked`,
    );
  },
);
