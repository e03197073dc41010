import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { startCollector } from '../../src/collector/index.js';
import type { RunningCollector } from '../../src/collector/index.js';
import type { JaegerResponse } from '../../src/model/jaeger-trace.js';
import {
  ExportTraceServiceRequest,
  ExportTraceServiceResponse,
} from '../../src/collector/ingest/otlp-schema.js';
import { otlpJson, postJson, spanIdOf, traceIdOf } from './otlp-fixtures.js';

const LIMIT = 64 * 1024;

async function start(t: { after: (fn: () => Promise<void>) => void }): Promise<RunningCollector> {
  const c = await startCollector({ otlpPort: 0, httpPort: 0, bodyLimitBytes: LIMIT });
  t.after(() => c.close());
  return c;
}

/** The request with fields of its second span overwritten. */
function withSecondSpan(body: string, fields: Record<string, unknown>): string {
  const request = JSON.parse(body) as {
    resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[];
  };
  Object.assign(request.resourceSpans[0]!.scopeSpans[0]!.spans[1]!, fields);
  return JSON.stringify(request);
}

const good = { traceId: traceIdOf(1), spanId: spanIdOf(1) };

const receiverCases: {
  name: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  status: number;
  error: string;
  message?: RegExp;
}[] = [
  {
    name: 'malformed protobuf',
    headers: { 'content-type': 'application/x-protobuf' },
    body: Buffer.from([0x0a, 0xff, 0x01, 0x02]),
    status: 400,
    error: 'OTLP_MALFORMED_BODY',
    message: /protobuf/,
  },
  {
    name: 'JSON that does not parse',
    headers: { 'content-type': 'application/json' },
    body: '{"resourceSpans": [',
    status: 400,
    error: 'OTLP_MALFORMED_BODY',
    message: /malformed JSON/,
  },
  {
    name: 'JSON of the wrong shape',
    headers: { 'content-type': 'application/json' },
    body: '{"resourceSpans": {"not": "an array"}}',
    status: 400,
    error: 'OTLP_MALFORMED_BODY',
    message: /request\.resourceSpans: expected an array/,
  },
  {
    name: 'a good span beside one with a wrongly typed field',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: withSecondSpan(otlpJson([good, { traceId: traceIdOf(2), spanId: spanIdOf(2) }]), {
      name: 5,
    }),
    status: 400,
    error: 'OTLP_MALFORMED_BODY',
    message: /spans\[\d\]\.name: expected a string/,
  },
  {
    name: 'a time that is not a number',
    headers: { 'content-type': 'application/json' },
    body: withSecondSpan(otlpJson([good, { traceId: traceIdOf(2), spanId: spanIdOf(2) }]), {
      startTimeUnixNano: 'soon',
    }),
    status: 400,
    error: 'OTLP_MALFORMED_BODY',
    message: /startTimeUnixNano/,
  },
  {
    name: 'a body over the limit',
    headers: { 'content-type': 'application/json' },
    body: otlpJson([{ ...good, attributes: { big: 'x'.repeat(LIMIT) } }]),
    status: 413,
    error: 'OTLP_BODY_TOO_LARGE',
  },
  {
    name: 'a gzip body that inflates past the limit',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body: gzipSync(otlpJson([{ ...good, attributes: { big: 'x'.repeat(4 * LIMIT) } }])),
    status: 413,
    error: 'OTLP_BODY_TOO_LARGE',
  },
  {
    name: 'a body that is not gzip but says so',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body: otlpJson([good]),
    status: 400,
    error: 'OTLP_MALFORMED_BODY',
    message: /gzip/,
  },
  {
    name: 'an unknown content type',
    headers: { 'content-type': 'text/plain' },
    body: otlpJson([good]),
    status: 415,
    error: 'OTLP_UNSUPPORTED_MEDIA_TYPE',
    message: /text\/plain/,
  },
  {
    name: 'an unknown content encoding',
    headers: { 'content-type': 'application/json', 'content-encoding': 'br' },
    body: otlpJson([good]),
    status: 415,
    error: 'OTLP_UNSUPPORTED_ENCODING',
  },
  { name: 'GET on the receiver', method: 'GET', status: 405, error: 'METHOD_NOT_ALLOWED' },
  {
    name: 'a POST to an unknown path',
    path: '/v1/logs',
    headers: { 'content-type': 'application/json' },
    body: '{}',
    status: 404,
    error: 'NOT_FOUND',
  },
];

test('the receiver answers bad requests with a coded JSON error and stores nothing', async (t) => {
  const c = await start(t);
  for (const k of receiverCases) {
    const res = await fetch(`${c.otlpUrl.replace('/v1/traces', '')}${k.path ?? '/v1/traces'}`, {
      method: k.method ?? 'POST',
      ...(k.headers ? { headers: k.headers } : {}),
      ...(k.body !== undefined ? { body: k.body } : {}),
    });
    assert.equal(res.status, k.status, k.name);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/, k.name);
    const body = (await res.json()) as { error: string; message: string };
    assert.equal(body.error, k.error, k.name);
    if (k.message) assert.match(body.message, k.message, k.name);
  }
  assert.deepEqual(c.store.stats(), { traces: 0, spans: 0, evictedTraces: 0 });
  const services = (await (await fetch(`${c.queryUrl}/api/services`)).json()) as JaegerResponse<
    string[]
  >;
  assert.deepEqual(services.data, []);
  // And it still takes good spans afterwards.
  assert.equal((await postJson(c.otlpUrl, otlpJson([good]))).status, 200);
  assert.equal(c.store.stats().spans, 1);
});

test('spans with invalid ids are rejected through partialSuccess, the rest are kept (JSON)', async (t) => {
  const c = await start(t);
  const res = await postJson(
    c.otlpUrl,
    otlpJson([
      good,
      { traceId: 'not-hex', spanId: spanIdOf(2) },
      { traceId: traceIdOf(3), spanId: '0000000000000000' },
      { traceId: '', spanId: spanIdOf(4) },
    ]),
  );
  assert.equal(res.status, 200);
  const body = (await res.json()) as {
    partialSuccess: { rejectedSpans: string; errorMessage: string };
  };
  assert.equal(body.partialSuccess.rejectedSpans, '3');
  assert.match(body.partialSuccess.errorMessage, /3 span\(s\) rejected: .*invalid traceId/);
  assert.match(body.partialSuccess.errorMessage, /all-zero spanId/);
  assert.equal(c.store.stats().spans, 1);
  assert.ok(c.store.getTrace(traceIdOf(1)));
});

test('a fully accepted export gets an empty ExportTraceServiceResponse; rejects get partialSuccess (protobuf)', async (t) => {
  const c = await start(t);
  const span = (traceId: Buffer, spanId: Buffer) => ({
    traceId,
    spanId,
    name: 'op',
    startTimeUnixNano: 1_700_000_000_000_000_000n.toString(),
    endTimeUnixNano: 1_700_000_000_001_000_000n.toString(),
  });
  const request = (spans: object[]) =>
    ExportTraceServiceRequest.encode(
      ExportTraceServiceRequest.fromObject({ resourceSpans: [{ scopeSpans: [{ spans }] }] }),
    ).finish();
  const post = (bytes: Uint8Array) =>
    fetch(c.otlpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: bytes,
    });

  const ok = await post(request([span(Buffer.alloc(16, 1), Buffer.alloc(8, 2))]));
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('content-type'), 'application/x-protobuf');
  assert.equal(Buffer.from(await ok.arrayBuffer()).length, 0);

  const partial = await post(
    request([
      span(Buffer.alloc(0), Buffer.alloc(8, 3)),
      span(Buffer.alloc(16, 4), Buffer.alloc(3)),
    ]),
  );
  assert.equal(partial.status, 200);
  const decoded = ExportTraceServiceResponse.toObject(
    ExportTraceServiceResponse.decode(Buffer.from(await partial.arrayBuffer())),
    { longs: Number },
  ) as { partialSuccess: { rejectedSpans: number; errorMessage: string } };
  assert.equal(decoded.partialSuccess.rejectedSpans, 2);
  assert.match(decoded.partialSuccess.errorMessage, /traceId.*spanId/);
  assert.equal(c.store.stats().spans, 1);
});

const queryCases: { path: string; status: number; param: RegExp }[] = [
  { path: '/api/traces', status: 400, param: /^service: required/ },
  {
    path: '/api/traces?service=a&minDuration=fast',
    status: 400,
    param: /^minDuration: expected a duration/,
  },
  {
    path: '/api/traces?service=a&maxDuration=1s&minDuration=2s',
    status: 400,
    param: /^maxDuration/,
  },
  { path: '/api/traces?service=a&limit=-1', status: 400, param: /^limit: expected a whole number/ },
  { path: '/api/traces?service=a&tags=oops', status: 400, param: /^tags: expected a JSON object/ },
  {
    path: '/api/traces?service=a&tags=%7B%22k%22%3A%7B%7D%7D',
    status: 400,
    param: /^tags: the value of "k"/,
  },
  {
    path: '/api/traces?service=a&start=yesterday',
    status: 400,
    param: /^start: expected a whole number/,
  },
  {
    path: '/api/traces?service=a&start=20&end=10',
    status: 400,
    param: /^end: must not be before start/,
  },
  { path: '/api/traces?service=a&lookback=forever', status: 400, param: /^lookback/ },
  { path: '/api/operations?service=a&spanKind=sideways', status: 400, param: /^spanKind/ },
  { path: '/api/operations', status: 400, param: /^service: required/ },
  { path: '/api/dependencies?endTs=now', status: 400, param: /^endTs/ },
  { path: '/api/traces/not-a-trace-id', status: 400, param: /^traceID/ },
  { path: `/api/traces/${traceIdOf(404)}`, status: 404, param: /trace .* not found/ },
  { path: '/api/nothing', status: 404, param: /no GET \/api\/nothing/ },
];

test('the query API answers bad parameters with 400 naming the parameter, unknown traces with 404', async (t) => {
  const c = await start(t);
  for (const k of queryCases) {
    const res = await fetch(`${c.queryUrl}${k.path}`);
    assert.equal(res.status, k.status, k.path);
    const body = (await res.json()) as JaegerResponse<null>;
    assert.equal(body.data, null, k.path);
    assert.equal(body.errors?.[0]?.code, k.status, k.path);
    assert.match(body.errors?.[0]?.msg ?? '', k.param, k.path);
  }
  const post = await fetch(`${c.queryUrl}/api/traces`, { method: 'POST', body: '{}' });
  assert.equal(post.status, 404);
});
