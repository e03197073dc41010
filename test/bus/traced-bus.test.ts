import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { HrTime } from '@opentelemetry/api';
import { toDeadLetter, toReplay } from '../../src/bus/dead-letter.js';
import { queueWaitUs, sentAtStamp, withTracing } from '../../src/bus/traced-bus.js';
import { SENT_AT_HEADER } from '../../src/bus/types.js';
import { createFaultInjector } from '../../src/faults/index.js';
import type { Bus, IncomingMessage } from '../../src/bus/types.js';
import { clockNow, hrTimeToMicros } from '../../src/telemetry/clock.js';
import { sleep } from '../helpers/bus.js';
import { registeredTracing } from '../helpers/sdk-tracing.js';

const { exporter, spanNamed } = registeredTracing();

/** A bus that holds on to what is published, and fails a publish when told to. */
function handOffBus(fail: boolean) {
  const seen: { headers: Record<string, string>; afterHandOff: HrTime }[] = [];
  const bus: Bus = {
    system: 'redis',
    async publish(_topic, message) {
      await sleep(5);
      seen.push({ headers: { ...message.headers }, afterHandOff: clockNow() });
      if (fail) throw new Error('stream is full');
      return { messageId: '1-0' };
    },
    consume: () => Promise.reject(new Error('not here')),
    lag: () => Promise.resolve([]),
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  return { bus, seen };
}

test('a send span ends at the hand-off its header stamps; a failed one when the failure comes', async () => {
  const tracer = trace.getTracer('tracelab-test');
  const ok = handOffBus(false);
  await withTracing(ok.bus, { tracer }).publish('t-ok', { value: 'v' });
  const [sent] = spanNamed('send t-ok');
  assert.equal(ok.seen[0]!.headers[SENT_AT_HEADER], sentAtStamp(sent!.endTime));
  assert.ok(hrTimeToMicros(sent!.endTime) < hrTimeToMicros(ok.seen[0]!.afterHandOff));

  const failing = handOffBus(true);
  await assert.rejects(withTracing(failing.bus, { tracer }).publish('t-fail', { value: 'v' }));
  const [failed] = spanNamed('send t-fail');
  assert.equal(failed!.status.code, SpanStatusCode.ERROR);
  assert.equal(failed!.status.message, 'stream is full');
  assert.ok(
    hrTimeToMicros(failed!.endTime) >= hrTimeToMicros(failing.seen[0]!.afterHandOff),
    'a failed send ends after the attempt, not at the hand-off',
  );
  exporter.reset();
});

test('a service that breaks propagation publishes with no traceparent; the fault injector marks the send span', async () => {
  const tracer = trace.getTracer('tracelab-test');
  const faults = createFaultInjector({
    service: 'processing',
    base: { processing: { propagation: 1 } },
  });
  const broken = handOffBus(false);
  await withTracing(broken.bus, { tracer, propagates: (span) => faults.propagates(span) }).publish(
    't-dropped',
    { value: 'v', headers: { mine: 'kept' } },
  );
  const headers = broken.seen[0]!.headers;
  assert.equal(headers.traceparent, undefined);
  assert.equal(headers.mine, 'kept');
  assert.ok(headers[SENT_AT_HEADER], 'the hand-off is still stamped');
  const [dropped] = spanNamed('send t-dropped');
  assert.equal(dropped!.attributes['tracelab.fault'], 'propagation');

  const whole = handOffBus(false);
  const passing = createFaultInjector({ service: 'processing', base: {} });
  await withTracing(whole.bus, { tracer, propagates: (span) => passing.propagates(span) }).publish(
    't-whole',
    { value: 'v' },
  );
  assert.match(whole.seen[0]!.headers.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  assert.equal(spanNamed('send t-whole')[0]!.attributes['tracelab.fault'], undefined);
  exporter.reset();
});

describe('queue wait', () => {
  const message = (headers: Record<string, string>, publishedAtMs: number): IncomingMessage => ({
    topic: 'orders',
    messageId: `${publishedAtMs}-0`,
    value: '{}',
    headers,
    publishedAtMs,
    deliveryCount: 1,
  });
  const at = (us: number): HrTime => [Math.floor(us / 1e6), (us % 1e6) * 1000];

  test('counts from the producer’s hand-off stamp, in microseconds', () => {
    const start = at(1_700_000_005_123_456);
    const m = message({ [SENT_AT_HEADER]: '1700000000000123' }, 1_700_000_000_001);
    assert.equal(queueWaitUs(start, m), 5_123_333);
  });

  test('counts from the stamp’s nanoseconds: a stamp of 19 digits is read without rounding', () => {
    const start: HrTime = [1_700_000_005, 123_456_900];
    const sent: HrTime = [1_700_000_000, 123_000_100];
    assert.equal(sentAtStamp(sent), '1700000000123000.100');
    const m = message({ [SENT_AT_HEADER]: sentAtStamp(sent) }, 1_700_000_000_001);
    // 5 s 456.8 µs: whole microseconds, rounded once.
    assert.equal(queueWaitUs(start, m), 5_000_457);
  });

  test('without a stamp (a message sent by hand), from when the bus took it', () => {
    const start = at(1_700_000_005_123_456);
    assert.equal(queueWaitUs(start, message({}, 1_700_000_000_001)), 5_122_456);
    assert.equal(
      queueWaitUs(start, message({ [SENT_AT_HEADER]: 'soon' }, 1_700_000_000_001)),
      5_122_456,
    );
  });

  test('is never below zero (a producer whose clock is ahead)', () => {
    const start = at(1_700_000_000_000_000);
    assert.equal(queueWaitUs(start, message({ [SENT_AT_HEADER]: '1700000000000400' }, 0)), 0);
  });

  test('a dead letter and its replay carry no stale stamp: each send stamps its own', () => {
    const m = message({ [SENT_AT_HEADER]: '1700000000000123', baggage: 'a=b' }, 1);
    const letter = toDeadLetter(m, 'g', { type: 'Error', reason: 'r' }, 2);
    assert.equal(letter.headers?.[SENT_AT_HEADER], undefined);
    assert.equal(letter.headers?.baggage, 'a=b');
    const replay = toReplay({ ...m, headers: { ...letter.headers, [SENT_AT_HEADER]: '9' } });
    assert.equal(replay.headers?.[SENT_AT_HEADER], undefined);
  });
});
