import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCollector } from '../../src/collector/index.js';
import type { JaegerResponse, JaegerTrace } from '../../src/model/jaeger-trace.js';
import { ExportTraceServiceRequest } from '../../src/collector/ingest/otlp-schema.js';
import { spanIdOf, traceIdOf } from './otlp-fixtures.js';

/**
 * Jaeger's mapping: startTime = start ns ÷ 1000 and duration = (end − start) ns ÷ 1000, both
 * truncated. The nanosecond counts exceed 2^53, so a double cannot hold them exactly.
 */
const CASES = [
  {
    startNs: '1700000000123456789',
    endNs: '1700000000623456000',
    startTime: 1700000000123456,
    duration: 499999,
  },
  {
    startNs: '1700000000123456000',
    endNs: '1700000000623456999',
    startTime: 1700000000123456,
    duration: 500000,
  },
  {
    startNs: '1700000000000000999',
    endNs: '1700000000000001998',
    startTime: 1700000000000000,
    duration: 0,
  },
  {
    startNs: '1700000000000000001',
    endNs: '1700000000000000000',
    startTime: 1700000000000000,
    duration: 0,
  },
];

function exportRequest(): object {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'timing' } }] },
        scopeSpans: [
          {
            scope: { name: 'fixture' },
            spans: CASES.map((c, i) => ({
              traceId: traceIdOf(1),
              spanId: spanIdOf(i + 1),
              name: `case ${i}`,
              startTimeUnixNano: c.startNs,
              endTimeUnixNano: c.endNs,
            })),
          },
        ],
      },
    ],
  };
}

const ENCODINGS = [
  {
    name: 'OTLP/JSON (decimal strings)',
    contentType: 'application/json',
    body: () => JSON.stringify(exportRequest()),
  },
  {
    name: 'protobuf (64-bit Long)',
    contentType: 'application/x-protobuf',
    body: () => {
      const message = exportRequest() as { resourceSpans: { scopeSpans: { spans: object[] }[] }[] };
      for (const span of message.resourceSpans[0]!.scopeSpans[0]!.spans as Record<
        string,
        unknown
      >[]) {
        span.traceId = Buffer.from(span.traceId as string, 'hex');
        span.spanId = Buffer.from(span.spanId as string, 'hex');
      }
      return ExportTraceServiceRequest.encode(
        ExportTraceServiceRequest.fromObject(message),
      ).finish();
    },
  },
];

for (const encoding of ENCODINGS) {
  test(`startTime and duration are Jaeger's truncated microseconds, exact beyond 2^53: ${encoding.name}`, async (t) => {
    const c = await startCollector({ otlpPort: 0, httpPort: 0 });
    t.after(() => c.close());
    const res = await fetch(c.otlpUrl, {
      method: 'POST',
      headers: { 'content-type': encoding.contentType },
      body: encoding.body(),
    });
    assert.equal(res.status, 200, await res.text());
    const got = await fetch(`${c.queryUrl}/api/traces/${traceIdOf(1)}`);
    const trace = ((await got.json()) as JaegerResponse<JaegerTrace[]>).data[0]!;
    for (const [i, c] of CASES.entries()) {
      const span = trace.spans.find((s) => s.operationName === `case ${i}`)!;
      assert.deepEqual(
        { startTime: span.startTime, duration: span.duration },
        { startTime: c.startTime, duration: c.duration },
        `span from ${c.startNs} to ${c.endNs} ns`,
      );
    }
  });
}
