import assert from 'node:assert/strict';
import type { RunningCollector } from '../../src/collector/index.js';
import { ExportTraceServiceRequest } from '../../src/collector/ingest/otlp-schema.js';
import { postJson } from './otlp-fixtures.js';

/** The int64 traces both int64 test files send: each attribute past 2^53, three ways. */

export const BIG = [
  '9007199254740993',
  '-9007199254740993',
  '9223372036854775807',
  '-9223372036854775808',
];
export const PROTO_TRACE = '1111111111111111111111111111111a';
export const JSON_STRING_TRACE = '2222222222222222222222222222222b';
export const JSON_NUMBER_TRACE = '3333333333333333333333333333333c';

/** protobufjs takes an int64 as its two 32-bit halves. */
function halves(digits: string): { low: number; high: number; unsigned: false } {
  const n = BigInt.asUintN(64, BigInt(digits));
  return {
    low: Number(n & 0xffffffffn) | 0,
    high: Number(n >> 32n) | 0,
    unsigned: false,
  };
}

const attributes = (int: (digits: string) => unknown) => [
  ...BIG.map((digits, i) => ({ key: `big.${i}`, value: { intValue: int(digits) } })),
  { key: 'small', value: { intValue: int('42') } },
  {
    key: 'list',
    value: { arrayValue: { values: [{ intValue: int(BIG[0]!) }, { intValue: int('7') }] } },
  },
];

export const request = (traceId: string, attrs: unknown) => ({
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'int64-svc' } }] },
      scopeSpans: [
        {
          spans: [
            {
              traceId,
              spanId: 'a1a2a3a4a5a6a7a8',
              name: 'op',
              kind: 1,
              startTimeUnixNano: '1700000000000000000',
              endTimeUnixNano: '1700000000001000000',
              attributes: attrs,
            },
          ],
        },
      ],
    },
  ],
});

export async function sendAll(c: RunningCollector): Promise<void> {
  const proto = ExportTraceServiceRequest.fromObject(request(PROTO_TRACE, attributes(halves)));
  // fromObject reads ids as base64; the wire wants their bytes.
  const msg = proto as unknown as {
    resourceSpans: { scopeSpans: { spans: { traceId: Uint8Array; spanId: Uint8Array }[] }[] }[];
  };
  const s = msg.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
  s.traceId = Buffer.from(PROTO_TRACE, 'hex');
  s.spanId = Buffer.from('a1a2a3a4a5a6a7a8', 'hex');
  const body = ExportTraceServiceRequest.encode(proto).finish();
  const res = await fetch(c.otlpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body,
  });
  assert.equal(res.status, 200, await res.text());

  const asString = JSON.stringify(
    request(
      JSON_STRING_TRACE,
      attributes((d) => d),
    ),
  );
  assert.equal((await postJson(c.otlpUrl, asString)).status, 200);
  // OTLP JSON may also write int64 as a bare number: the text carries every digit.
  const asNumber = JSON.stringify(
    request(
      JSON_NUMBER_TRACE,
      attributes((d) => `#${d}#`),
    ),
  ).replace(/"#(-?\d+)#"/g, '$1');
  assert.match(asNumber, /"intValue":9007199254740993\b/);
  assert.equal((await postJson(c.otlpUrl, asNumber)).status, 200);
}
