import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, AttributeValue, HrTime } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  BasicTracerProvider,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { startCollector } from '../../src/collector/index.js';
import type { JaegerResponse, JaegerTag, JaegerTrace } from '../../src/model/jaeger-trace.js';

type ProtoConfig = NonNullable<ConstructorParameters<typeof ProtoExporter>[0]>;

const exporters: { name: string; make: (url: string) => SpanExporter }[] = [
  { name: 'protobuf (exporter-trace-otlp-proto)', make: (url) => new ProtoExporter({ url }) },
  { name: 'JSON (exporter-trace-otlp-http)', make: (url) => new JsonExporter({ url }) },
  {
    name: 'protobuf, gzip',
    make: (url) => new ProtoExporter({ url, compression: 'gzip' } as ProtoConfig),
  },
];

/** What a user would expect Jaeger to show for an attribute the SDK recorded. */
function expectedTag(key: string, value: AttributeValue): JaegerTag {
  if (typeof value === 'string') return { key, type: 'string', value };
  if (typeof value === 'boolean') return { key, type: 'bool', value };
  if (typeof value === 'number') {
    return { key, type: Number.isInteger(value) ? 'int64' : 'float64', value };
  }
  return { key, type: 'string', value: JSON.stringify(value) };
}

const tagsOf = (attrs: Attributes): JaegerTag[] =>
  Object.entries(attrs).flatMap(([k, v]) => (v === undefined ? [] : [expectedTag(k, v)]));

const micros = (t: HrTime): number => Number(BigInt(t[0]) * 1_000_000n + BigInt(t[1]) / 1000n);

const SPAN_KIND_TAG = ['internal', 'server', 'client', 'producer', 'consumer'];

for (const { name, make } of exporters) {
  test(`a trace exported by the OpenTelemetry SDK over OTLP ${name} reads back field by field`, async (t) => {
    const collector = await startCollector({ host: '127.0.0.1', otlpPort: 0, httpPort: 0 });
    t.after(() => collector.close());
    const sent = new InMemorySpanExporter();
    const provider = (service: string, extra: Attributes) =>
      new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': service, ...extra }),
        spanProcessors: [
          new BatchSpanProcessor(make(collector.otlpUrl)),
          new SimpleSpanProcessor(sent),
        ],
      });
    const api = provider('shop-api', { 'deployment.environment': 'test', 'host.cores': 2 });
    const processing = provider('shop-processing', { 'service.version': '1.2.3' });

    const apiTracer = api.getTracer('shop-api-tracer', '0.9.0');
    const root = apiTracer.startSpan('POST /orders', {
      kind: SpanKind.SERVER,
      attributes: {
        'http.method': 'POST',
        'order.priority': 'high',
        'order.express': true,
        'order.items': 3,
        'order.total': 42.5,
        'order.tags': ['gift', 'fragile'],
        'order.quantities': [1, 2],
        'order.flags': [true, false],
      },
    });
    root.addEvent('order.received', { 'queue.depth': 7, 'queue.name': 'orders' });
    const send = apiTracer.startSpan(
      'send orders',
      { kind: SpanKind.PRODUCER, attributes: { 'messaging.destination.name': 'orders' } },
      trace.setSpan(ROOT_CONTEXT, root),
    );
    send.end();

    const procTracer = processing.getTracer('shop-processing-tracer');
    const consume = procTracer.startSpan(
      'process orders',
      {
        kind: SpanKind.CONSUMER,
        links: [{ context: root.spanContext(), attributes: { 'link.reason': 'batch' } }],
      },
      trace.setSpanContext(ROOT_CONTEXT, send.spanContext()),
    );
    const charge = procTracer.startSpan(
      'charge card',
      { kind: SpanKind.INTERNAL, attributes: { 'payment.attempt': 1 } },
      trace.setSpan(ROOT_CONTEXT, consume),
    );
    charge.recordException(new Error('card declined'));
    charge.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
    charge.end();
    consume.setStatus({ code: SpanStatusCode.OK });
    consume.end();
    root.end();
    await Promise.all([api.forceFlush(), processing.forceFlush()]);
    const expected = sent.getFinishedSpans();
    await Promise.all([api.shutdown(), processing.shutdown()]);

    assert.equal(expected.length, 4);
    const traceId = root.spanContext().traceId;
    const res = await fetch(`${collector.queryUrl}/api/traces/${traceId.toUpperCase()}`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as JaegerResponse<JaegerTrace[]>;
    assert.equal(body.errors, null);
    const got = body.data[0]!;
    assert.equal(got.traceID, traceId);
    assert.equal(got.spans.length, 4);
    assert.equal(got.warnings, null);

    const services = Object.values(got.processes).map((p) => p.serviceName);
    assert.deepEqual(services.sort(), ['shop-api', 'shop-processing']);
    for (const span of expected) checkSpan(got, span);

    // A search a user would make in the UI finds it.
    const tags = encodeURIComponent(JSON.stringify({ 'order.priority': 'high' }));
    const search = (await (
      await fetch(
        `${collector.queryUrl}/api/traces?service=shop-api&operation=${encodeURIComponent('POST /orders')}&tags=${tags}&lookback=1h&limit=20`,
      )
    ).json()) as JaegerResponse<JaegerTrace[]>;
    assert.deepEqual(
      search.data.map((tr) => tr.traceID),
      [traceId],
    );
    const deps = (await (
      await fetch(`${collector.queryUrl}/api/dependencies?lookback=3600000`)
    ).json()) as JaegerResponse<unknown>;
    assert.deepEqual(deps.data, [{ parent: 'shop-api', child: 'shop-processing', callCount: 1 }]);
  });
}

function checkSpan(got: JaegerTrace, sent: ReadableSpan): void {
  const ctx = sent.spanContext();
  const span = got.spans.find((s) => s.spanID === ctx.spanId);
  assert.ok(span, `span ${sent.name} is in the trace`);
  assert.equal(span.traceID, ctx.traceId);
  assert.equal(span.operationName, sent.name);
  assert.equal(span.flags, ctx.traceFlags);
  assert.equal(span.startTime, micros(sent.startTime), `${sent.name} startTime`);
  assert.equal(
    span.duration,
    micros(sent.endTime) - micros(sent.startTime),
    `${sent.name} duration`,
  );

  const refs = [
    ...(sent.parentSpanContext
      ? [{ refType: 'CHILD_OF', traceID: ctx.traceId, spanID: sent.parentSpanContext.spanId }]
      : []),
    ...sent.links.map((l) => ({
      refType: 'FOLLOWS_FROM',
      traceID: l.context.traceId,
      spanID: l.context.spanId,
    })),
  ];
  assert.deepEqual(span.references, refs, `${sent.name} references`);

  const status =
    sent.status.code === SpanStatusCode.ERROR
      ? [
          { key: 'otel.status_code', type: 'string', value: 'ERROR' },
          { key: 'error', type: 'bool', value: true },
        ]
      : sent.status.code === SpanStatusCode.OK
        ? [{ key: 'otel.status_code', type: 'string', value: 'OK' }]
        : [];
  const scope = sent.instrumentationScope;
  assert.deepEqual(
    span.tags,
    [
      ...tagsOf(sent.attributes),
      { key: 'otel.scope.name', type: 'string', value: scope.name },
      ...(scope.version
        ? [{ key: 'otel.scope.version', type: 'string', value: scope.version }]
        : []),
      { key: 'span.kind', type: 'string', value: SPAN_KIND_TAG[sent.kind] },
      ...status,
      ...(sent.status.message
        ? [{ key: 'otel.status_description', type: 'string', value: sent.status.message }]
        : []),
    ],
    `${sent.name} tags`,
  );

  assert.deepEqual(
    span.logs,
    sent.events.map((e) => ({
      timestamp: micros(e.time),
      fields: [{ key: 'event', type: 'string', value: e.name }, ...tagsOf(e.attributes ?? {})],
    })),
    `${sent.name} logs`,
  );

  const process = got.processes[span.processID];
  assert.ok(process);
  const { 'service.name': serviceName, ...resourceTags } = sent.resource.attributes;
  assert.equal(process.serviceName, serviceName);
  assert.deepEqual(process.tags, tagsOf(resourceTags), `${sent.name} process tags`);
}
