import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import type { HrTime } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { decodeOtlpProtobuf } from '../../src/collector/ingest/otlp-protobuf.js';
import { ExportTraceServiceRequest } from '../../src/collector/ingest/otlp-schema.js';
import { serializeSpans } from '../../src/telemetry/otlp-span-serializer.js';

/**
 * tracelab's span serializer and the SDK's must say the same thing: real SDK spans of every
 * shape, encoded both ways, decode to the same records.
 */
test('spans serialised by tracelab and by the SDK decode alike', () => {
  const exporter = new InMemorySpanExporter();
  const providers = ['api-service', 'processing-service'].map(
    (name) =>
      new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': name, 'process.pid': 42 }),
        spanProcessors: [new SimpleSpanProcessor(exporter)],
      }),
  );
  const long = 'x'.repeat(300);
  for (const provider of providers) {
    for (const scope of ['tracelab', 'other']) {
      const tracer = provider.getTracer(scope, scope === 'other' ? '1.2.3' : undefined);
      const remote = trace.setSpanContext(context.active(), {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
        traceState: new TraceState('vendor=abc'),
      });
      const root = tracer.startSpan(
        'process orders',
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': 'redis',
            'order.id': 'héllo ✓ 注文',
            'tracelab.queue.wait_us': 12_345,
            'big.int': 2 ** 53 - 1,
            negative: -7,
            huge: 2 ** 62,
            ratio: 0.25,
            yes: true,
            no: false,
            list: ['a', 'b'],
            numbers: [1, 2.5],
            flags: [true, false],
            long,
          },
          links: [
            {
              context: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 },
              attributes: { why: 'retry' },
            },
          ],
        },
        remote,
      );
      root.addEvent('dead_letter', { topic: 'orders.dlq', deliveries: 3 });
      root.addEvent('plain');
      root.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
      const child = tracer.startSpan(
        'HSET order',
        { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'redis' } },
        trace.setSpan(context.active(), root),
      );
      child.setStatus({ code: SpanStatusCode.OK });
      child.end();
      root.end();
      tracer.startSpan('internal, no attributes').end();
    }
  }
  const spans = exporter.getFinishedSpans();
  assert.equal(spans.length, 12);

  const ours = decodeOtlpProtobuf(serializeSpans(spans));
  const sdks = decodeOtlpProtobuf(ProtobufTraceSerializer.serializeRequest(spans)!);
  assert.equal(ours.spans.length, 12);
  assert.deepEqual(ours, sdks);
  // Twice over (the caches filled): the same again.
  assert.deepEqual(decodeOtlpProtobuf(serializeSpans(spans)), sdks);

  const root = ours.spans.find((s) => s.name === 'process orders')!;
  assert.equal(root.parentSpanId, 'b7ad6b7169203331');
  assert.equal(root.traceState, 'vendor=abc');
  assert.equal(root.flags, 0x301, 'sampled, parent known to be remote');
  assert.equal(root.events.length, 2);
  assert.equal(root.statusMessage, 'boom');
});

test('span times go out to the nanosecond', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('tracelab');
  const cases: Array<[HrTime, HrTime, string, string]> = [
    [
      [1_700_000_000, 123_456_789],
      [1_700_000_000, 623_456_000],
      '1700000000123456789',
      '1700000000623456000',
    ],
    [
      [1_799_999_999, 999_999_999],
      [1_800_000_000, 1],
      '1799999999999999999',
      '1800000000000000001',
    ],
    [[4_102_444_800, 7], [4_102_444_801, 0], '4102444800000000007', '4102444801000000000'],
  ];
  for (const [start, end] of cases) tracer.startSpan('timed', { startTime: start }).end(end);
  const spans = exporter.getFinishedSpans();
  for (const bytes of [serializeSpans(spans), ProtobufTraceSerializer.serializeRequest(spans)!]) {
    const request = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(bytes), {
      longs: String,
    }) as { resourceSpans: { scopeSpans: { spans: Record<string, string>[] }[] }[] };
    const sent = request.resourceSpans[0]!.scopeSpans[0]!.spans;
    assert.deepEqual(
      sent.map((s) => [s.startTimeUnixNano, s.endTimeUnixNano]),
      cases.map(([, , s, e]) => [s, e]),
    );
  }
});
