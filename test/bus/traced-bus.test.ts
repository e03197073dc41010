import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { HrTime } from '@opentelemetry/api';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { toDeadLetter, toReplay } from '../../src/bus/dead-letter.js';
import { queueWaitUs, sentAtStamp, withTracing } from '../../src/bus/traced-bus.js';
import { SENT_AT_HEADER } from '../../src/bus/types.js';
import type { Bus, IncomingMessage } from '../../src/bus/types.js';
import { clockNow, hrTimeDiffUs, hrTimeToMicros } from '../../src/telemetry/clock.js';
import { PreciseSpanTimes } from '../../src/telemetry/precise-span-times.js';
import { adapters, sleep } from '../helpers/bus.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The real SDK, as a service sets it up: async context, W3C trace context and baggage, span
 * times on the anchored monotonic clock.
 */
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({
  spanProcessors: [new PreciseSpanTimes(), new SimpleSpanProcessor(exporter)],
});
before(() =>
  provider.register({
    propagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  }),
);
after(() => provider.shutdown());

const spanNamed = (name: string): ReadableSpan[] =>
  exporter.getFinishedSpans().filter((s) => s.name === name);

for (const adapter of adapters) {
  test(
    `${adapter.system}: one trace across the bus, with baggage, queue wait and attributes`,
    { skip: adapter.skip, timeout: 60_000 },
    async () => {
      const f = await adapter.open();
      const tracer = trace.getTracer('tracelab-test');
      const bus = withTracing(f.bus, { tracer });
      const topic = f.name('orders');
      const group = f.name('processing');
      try {
        // The API publishes inside its request span, with an intensity forced by baggage.
        const baggage = propagation.createBaggage({ 'tracelab.intensity': { value: 'heavy' } });
        const root = tracer.startSpan('create_order');
        const receipt = await context.with(
          propagation.setBaggage(trace.setSpan(context.active(), root), baggage),
          () => bus.publish(topic, { key: 'order-7', value: '{"item":"widget"}' }),
        );
        root.end();
        const waitedMs = 300;
        await sleep(waitedMs);

        let seen: { message: IncomingMessage; intensity?: string } | undefined;
        const sub = await bus.consume(topic, { group, consumer: 'c1' }, (message) => {
          // Work done by the handler becomes a child of the consumer span.
          tracer.startSpan('process_order').end();
          seen = {
            message,
            intensity: propagation.getActiveBaggage()?.getEntry('tracelab.intensity')?.value,
          };
          return Promise.resolve();
        });
        await waitFor('the message', () => seen !== undefined, adapter.patienceMs);
        await sub.stop();

        const [send] = spanNamed(`send ${topic}`);
        const [proc] = spanNamed(`process ${topic}`);
        const [work] = spanNamed('process_order');
        const [create] = spanNamed('create_order');
        assert.ok(send && proc && work && create, 'missing spans');

        assert.equal(send.kind, SpanKind.PRODUCER);
        assert.equal(send.parentSpanContext?.spanId, create.spanContext().spanId);
        assert.equal(send.attributes['messaging.system'], adapter.system);
        assert.equal(send.attributes['messaging.operation.type'], 'send');
        assert.equal(send.attributes['messaging.operation.name'], 'send');
        assert.equal(send.attributes['messaging.destination.name'], topic);
        assert.equal(send.attributes['messaging.message.id'], receipt.messageId);
        assert.equal(send.attributes['messaging.message.body.size'], 17);

        assert.equal(proc.kind, SpanKind.CONSUMER);
        assert.equal(proc.spanContext().traceId, send.spanContext().traceId, 'one trace');
        assert.equal(proc.parentSpanContext?.spanId, send.spanContext().spanId);
        assert.equal(work.parentSpanContext?.spanId, proc.spanContext().spanId);
        assert.equal(proc.attributes['messaging.operation.type'], 'process');
        assert.equal(proc.attributes['messaging.consumer.group.name'], group);
        assert.equal(proc.attributes['messaging.message.id'], receipt.messageId);
        assert.equal(proc.attributes['tracelab.delivery_count'], 1);
        // The wait runs from the send span's end (the hand-off the header stamps) to the
        // consumer span's start.
        const waitUs = proc.attributes['tracelab.queue.wait_us'] as number;
        assert.ok(Number.isInteger(waitUs), `queue wait ${waitUs} is whole microseconds`);
        assert.ok(waitUs >= waitedMs * 1000, `queue wait ${waitUs} µs < ${waitedMs} ms`);
        assert.equal(seen!.message.headers[SENT_AT_HEADER], sentAtStamp(send.endTime));
        const gapUs = hrTimeDiffUs(proc.startTime, send.endTime);
        assert.ok(Math.abs(waitUs - gapUs) <= 0.5, `wait ${waitUs} µs, spans ${gapUs} µs apart`);
        assert.equal(seen!.intensity, 'heavy', 'baggage did not arrive');
        assert.match(seen!.message.headers.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

        if (adapter.system === 'kafka') {
          for (const s of [send, proc]) {
            assert.equal(
              s.attributes['messaging.destination.partition.id'],
              String(receipt.partition),
            );
            assert.equal(s.attributes['messaging.kafka.offset'], Number(receipt.offset));
            assert.equal(s.attributes['messaging.kafka.message.key'], 'order-7');
          }
        }
      } finally {
        exporter.reset();
        await f.cleanup();
      }
    },
  );

  test(
    `${adapter.system}: a failing handler gives an ERROR consumer span, then a retry`,
    { skip: adapter.skip, timeout: 60_000 },
    async () => {
      const f = await adapter.open();
      const bus = withTracing(f.bus, { tracer: trace.getTracer('tracelab-test') });
      const topic = f.name('orders');
      try {
        let deliveries = 0;
        const sub = await bus.consume(topic, { group: f.name('g'), consumer: 'c1' }, (m) => {
          deliveries++;
          return m.deliveryCount === 1
            ? Promise.reject(new TypeError('bad order'))
            : Promise.resolve();
        });
        await bus.publish(topic, { key: 'k', value: 'x' });
        await waitFor('a retry', () => deliveries >= 2, adapter.patienceMs);
        await sub.stop();
        const spans = spanNamed(`process ${topic}`);
        const failed = spans.find((s) => s.attributes['tracelab.delivery_count'] === 1);
        const retried = spans.find((s) => s.attributes['tracelab.delivery_count'] === 2);
        assert.ok(failed && retried, 'missing consumer spans');
        assert.equal(failed.status.code, SpanStatusCode.ERROR);
        assert.equal(failed.status.message, 'bad order');
        assert.equal(failed.attributes['error.type'], 'TypeError');
        assert.equal(failed.events[0]?.name, 'exception');
        assert.equal(retried.status.code, SpanStatusCode.UNSET);
        assert.equal(failed.spanContext().traceId, retried.spanContext().traceId);
      } finally {
        exporter.reset();
        await f.cleanup();
      }
    },
  );
}

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
