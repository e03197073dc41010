import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { sentAtStamp, withTracing } from '../../src/bus/traced-bus.js';
import { SENT_AT_HEADER } from '../../src/bus/types.js';
import type { IncomingMessage } from '../../src/bus/types.js';
import { hrTimeDiffUs } from '../../src/telemetry/clock.js';
import { adapters, sleep } from '../helpers/bus.js';
import { registeredTracing } from '../helpers/sdk-tracing.js';
import { waitFor } from '../helpers/wait.js';

const { exporter, spanNamed } = registeredTracing();

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
