import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HrTime } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { clockNow, hrTimeAt, hrTimeToMicros, performanceMsOf } from '../../src/telemetry/clock.js';
import { PreciseSpanTimes } from '../../src/telemetry/precise-span-times.js';

const ns = (t: HrTime): bigint => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
const onWholeMs = (t: HrTime): boolean => t[1] % 1_000_000 === 0;
/** Spins for about `us` microseconds, so consecutive readings fall apart. */
const spin = (us: number) => {
  const until = performance.now() + us / 1000;
  while (performance.now() < until);
};

describe('the span clock', () => {
  test('never goes back', () => {
    let last = ns(clockNow());
    for (let i = 0; i < 200_000; i++) {
      const now = ns(clockNow());
      assert.ok(now >= last, `${now} after ${last}`);
      last = now;
    }
  });

  test('reads wall time: at a tick of Date.now() it reads that millisecond, give or take µs', () => {
    // Read just after Date.now() ticks, it can only be late (the loop was slow to see the
    // tick, or descheduled): the smallest difference is how far the clock is off. An anchor
    // read from Date.now() without waiting for its tick would be up to 1 ms off.
    let nearest = Infinity;
    for (let i = 0; i < 20; i++) {
      const last = Date.now();
      let tick: number;
      while ((tick = Date.now()) === last);
      const diffUs = hrTimeToMicros(clockNow()) - tick * 1000;
      if (Math.abs(diffUs) < Math.abs(nearest)) nearest = diffUs;
    }
    assert.ok(Math.abs(nearest) < 250, `the clock is ${nearest} µs off Date.now() at its tick`);
  });

  test('has sub-millisecond precision: readings apart land inside milliseconds', () => {
    const readings = Array.from({ length: 1000 }, () => {
      spin(7);
      return clockNow();
    });
    const whole = readings.filter(onWholeMs).length;
    assert.ok(whole < 10, `${whole} of 1000 readings on a whole millisecond`);
    assert.ok(readings.every((t) => t[1] >= 0 && t[1] < 1e9 && Number.isInteger(t[1])));
  });

  test('converts performance readings exactly both ways', () => {
    for (const p of [0, 0.000_5, 999.999_999, 1234.567_891, 86_400_000.123_456]) {
      const t = hrTimeAt(p);
      assert.ok(t[1] >= 0 && t[1] < 1e9, `nanoseconds of ${p}: ${t[1]}`);
      assert.ok(Math.abs(performanceMsOf(t) - p) < 1e-5, `${p} → ${performanceMsOf(t)}`);
    }
    const later = hrTimeAt(1000.001);
    assert.equal(ns(later) - ns(hrTimeAt(0)), 1_000_001_000n);
  });
});

/** The real SDK as a service sets it up, or without the clock processor (the SDK's default). */
function sdk(precise: boolean) {
  const exporter = new InMemorySpanExporter();
  const processors: SpanProcessor[] = [new SimpleSpanProcessor(exporter)];
  if (precise) processors.unshift(new PreciseSpanTimes());
  const provider = new NodeTracerProvider({ spanProcessors: processors });
  return { tracer: provider.getTracer('clock-test'), exporter, provider };
}

/** A time read between two clock readings, inclusive. */
function assertBetween(what: string, t: HrTime, before: HrTime, after: HrTime): void {
  assert.ok(
    ns(t) >= ns(before) && ns(t) <= ns(after),
    `${what} ${ns(t)} is not between the clock's ${ns(before)} and ${ns(after)}`,
  );
}

describe('span times', () => {
  test('a span starts, logs and ends on the clock, between the readings around each', async () => {
    const { tracer, exporter, provider } = sdk(true);
    const b0 = clockNow();
    const span = tracer.startSpan('work');
    const a0 = clockNow();
    spin(200);
    const b1 = clockNow();
    span.addEvent('halfway');
    const a1 = clockNow();
    spin(200);
    const b2 = clockNow();
    span.end();
    const a2 = clockNow();
    const [done] = exporter.getFinishedSpans();
    assertBetween('start', done!.startTime, b0, a0);
    assertBetween('event', done!.events[0]!.time, b1, a1);
    assertBetween('end', done!.endTime, b2, a2);
    // The duration is end − start, exactly.
    assert.equal(ns(done!.duration), ns(done!.endTime) - ns(done!.startTime));
    await provider.shutdown();
  });

  test('a span given its start ends on the clock too, not on Date.now()', async () => {
    const { tracer, exporter, provider } = sdk(true);
    const given = clockNow();
    spin(300);
    const span = tracer.startSpan('consumer', { startTime: given });
    spin(300);
    const before = clockNow();
    span.recordException(new Error('late'));
    span.end();
    const after = clockNow();
    const [done] = exporter.getFinishedSpans();
    assert.deepEqual(done!.startTime, given, 'the given start is kept');
    assertBetween('exception event', done!.events[0]!.time, before, after);
    assertBetween('end', done!.endTime, before, after);
    await provider.shutdown();
  });

  test('an explicit end time is kept', async () => {
    const { tracer, exporter, provider } = sdk(true);
    const span = tracer.startSpan('send');
    spin(100);
    const handOff = clockNow();
    spin(300);
    span.end(handOff);
    assert.deepEqual(exporter.getFinishedSpans()[0]!.endTime, handOff);
    await provider.shutdown();
  });

  test('fewer than 1 % of spans start or end on a whole millisecond; without it, all start there', async () => {
    for (const precise of [true, false]) {
      const { tracer, exporter, provider } = sdk(precise);
      for (let i = 0; i < 500; i++) {
        const parent = tracer.startSpan('parent');
        spin(13);
        tracer.startSpan('child', { startTime: clockNow() }).end();
        spin(13);
        parent.end();
      }
      const spans = exporter.getFinishedSpans();
      const starts = spans.filter((s) => onWholeMs(s.startTime)).length;
      const ends = spans.filter((s) => onWholeMs(s.endTime)).length;
      if (precise) {
        assert.ok(starts < spans.length / 100, `${starts} of ${spans.length} starts on whole ms`);
        assert.ok(ends < spans.length / 100, `${ends} of ${spans.length} ends on whole ms`);
      } else {
        // Why the processor exists: the SDK starts every span from Date.now().
        const parents = spans.filter((s) => s.name === 'parent');
        assert.ok(
          parents.every((s) => onWholeMs(s.startTime)),
          'the SDK default changed',
        );
      }
      await provider.shutdown();
    }
  });
});
