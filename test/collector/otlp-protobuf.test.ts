import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CollectorError } from '../../src/collector/errors.js';
import { decodeOtlpJson } from '../../src/collector/ingest/otlp-json.js';
import { decodeOtlpProtobuf } from '../../src/collector/ingest/otlp-protobuf.js';
import { ExportTraceServiceRequest } from '../../src/collector/ingest/otlp-schema.js';

/**
 * The protobuf decoder reads the wire itself; the JSON decoder reads parsed objects. One
 * request in both encodings must give the same spans, whatever the request holds.
 */

const TRACE = '0102030405060708090a0b0c0d0e0f10';
const SPAN = 'a1a2a3a4a5a6a7a8';
const PARENT = 'b1b2b3b4b5b6b7b8';

const kv = (key: string, value?: object) => (value ? { key, value } : { key });

const ATTRIBUTES = [
  kv('text', { stringValue: 'héllo ✓' }),
  kv('yes', { boolValue: true }),
  kv('no', { boolValue: false }),
  kv('negative', { intValue: '-42' }),
  kv('largest', { intValue: '9007199254740991' }),
  kv('ratio', { doubleValue: 3.25 }),
  kv('bytes', { bytesValue: Buffer.from([1, 2, 255]).toString('base64') }),
  kv('empty value', {}),
  kv('no value'),
  kv('list', {
    arrayValue: {
      values: [
        { stringValue: 'x' },
        { intValue: '5' },
        { boolValue: false },
        { arrayValue: { values: [{ doubleValue: 1.5 }] } },
        { kvlistValue: { values: [kv('k', { stringValue: 'v' })] } },
      ],
    },
  }),
  kv('map', {
    kvlistValue: { values: [kv('a', { intValue: '1' }), kv('b', { boolValue: true })] },
  }),
];

const span = (extra: object) => ({
  traceId: TRACE,
  spanId: SPAN,
  name: 'op',
  kind: 3,
  startTimeUnixNano: '1700000000123456789',
  endTimeUnixNano: '1700000000623456000',
  ...extra,
});

/** An OTLP/JSON request: hex ids, int64 as decimal strings, bytes as base64. */
const REQUEST = {
  resourceSpans: [
    {
      resource: {
        attributes: [kv('service.name', { stringValue: 'svc' }), kv('host', { stringValue: 'h' })],
      },
      scopeSpans: [
        {
          scope: { name: 'scope', version: '1.0' },
          spans: [
            span({
              parentSpanId: PARENT,
              traceState: 'vendor=1',
              flags: 257,
              attributes: ATTRIBUTES,
              events: [
                { timeUnixNano: '1700000000200000000', name: 'retry', attributes: ATTRIBUTES },
              ],
              links: [
                { traceId: TRACE, spanId: PARENT, attributes: [kv('why', { stringValue: 'x' })] },
                { traceId: TRACE },
              ],
              status: { code: 2, message: 'boom' },
            }),
            span({ spanId: PARENT, kind: 5, status: { code: 1 } }),
            span({ spanId: '0000000000000000' }),
            span({ traceId: '0102' }),
          ],
        },
      ],
    },
    { scopeSpans: [{ spans: [span({ spanId: 'c1c2c3c4c5c6c7c8' })] }] },
  ],
};

/** The same request as protobuf: ids as bytes. */
function protobufOf(request: object): Buffer {
  const bytesIds = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(bytesIds);
    if (typeof v !== 'object' || v === null) return v;
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [
        k,
        /^(traceId|spanId|parentSpanId)$/.test(k) ? Buffer.from(x as string, 'hex') : bytesIds(x),
      ]),
    );
  };
  const message = ExportTraceServiceRequest.fromObject(bytesIds(request) as object);
  return Buffer.from(ExportTraceServiceRequest.encode(message).finish());
}

test('one request in protobuf and in JSON decodes to the same spans, rejections alike', () => {
  const fromJson = decodeOtlpJson(JSON.stringify(REQUEST));
  const fromProtobuf = decodeOtlpProtobuf(protobufOf(REQUEST));
  assert.equal(fromJson.spans.length, 3);
  assert.equal(fromJson.rejectedSpans, 2);
  assert.deepEqual(fromProtobuf, fromJson);

  const [first] = fromProtobuf.spans;
  assert.equal(first!.resource.serviceName, 'svc');
  assert.equal(first!.kind, 'client');
  assert.equal(first!.statusCode, 'error');
  assert.equal(first!.startUs, 1700000000123456);
  assert.equal(first!.durationUs, 499999);
  assert.equal(first!.links.length, 1, 'a link without a span id says nothing');
  const byKey = Object.fromEntries(first!.attributes.map((a) => [a.key, a]));
  assert.deepEqual(byKey.negative, { key: 'negative', type: 'int64', value: -42 });
  assert.deepEqual(byKey.bytes, { key: 'bytes', type: 'binary', value: 'AQL/' });
  assert.deepEqual(byKey.map, { key: 'map', type: 'string', value: '{"a":1,"b":true}' });
  assert.deepEqual(byKey.list?.value, '["x",5,false,[1.5],{"k":"v"}]');
});

test('a cut-short or corrupt protobuf body is refused whole, never half read', () => {
  // One resource: a cut between two would leave a shorter request that is well formed.
  const body = protobufOf({ resourceSpans: REQUEST.resourceSpans.slice(0, 1) });
  for (let length = 1; length < body.length; length++) {
    assert.throws(
      () => decodeOtlpProtobuf(body.subarray(0, length)),
      (err: unknown) => err instanceof CollectorError && err.code === 'OTLP_MALFORMED_BODY',
      `cut at ${length} of ${body.length} bytes`,
    );
  }
  const corrupt = Buffer.from(body);
  corrupt[corrupt.indexOf('scope')] = 0xff; // not UTF-8
  assert.throws(() => decodeOtlpProtobuf(corrupt), /malformed protobuf.*UTF-8/);
});

test('a status code outside OTLP refuses the request, saying which span', () => {
  const request = { resourceSpans: [{ scopeSpans: [{ spans: [span({ status: { code: 7 } })] }] }] };
  assert.throws(
    () => decodeOtlpProtobuf(protobufOf(request)),
    /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.status\.code: expected 0 \(unset\)/,
  );
});
