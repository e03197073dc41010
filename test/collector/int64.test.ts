import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startCollector } from '../../src/collector/index.js';
import type { RunningCollector } from '../../src/collector/index.js';
import { ExportTraceServiceRequest } from '../../src/collector/ingest/otlp-schema.js';
import { launchChromium, watchedPage } from '../helpers/browser.js';
import { postJson } from './otlp-fixtures.js';

/**
 * int64 attributes beyond 2^53 keep every digit: sent to a real collector over HTTP as OTLP
 * protobuf and as OTLP JSON (int64 as a string and as a bare number literal), read back from
 * the query API as text, and again after a restart from the data file.
 */

const BIG = [
  '9007199254740993',
  '-9007199254740993',
  '9223372036854775807',
  '-9223372036854775808',
];
const PROTO_TRACE = '1111111111111111111111111111111a';
const JSON_STRING_TRACE = '2222222222222222222222222222222b';
const JSON_NUMBER_TRACE = '3333333333333333333333333333333c';

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

const request = (traceId: string, attrs: unknown) => ({
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

async function sendAll(c: RunningCollector): Promise<void> {
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

async function assertExact(queryUrl: string, traceId: string): Promise<void> {
  const res = await fetch(`${queryUrl}/api/traces/${traceId}`);
  const text = await res.text();
  assert.equal(res.status, 200, text);
  for (const [i, digits] of BIG.entries()) {
    assert.ok(
      text.includes(`{"key":"big.${i}","type":"int64","value":${digits}}`),
      `${traceId}: big.${i} = ${digits} not in ${text.slice(0, 600)}`,
    );
  }
  assert.ok(text.includes('{"key":"small","type":"int64","value":42}'), text);
  assert.ok(text.includes('"value":"[9007199254740993,7]"'), `list in ${text.slice(0, 800)}`);
  // Parsed as a JS number it is the nearest double, as any JSON reader gives it.
  const parsed = JSON.parse(text) as {
    data: { spans: { tags: { key: string; value: unknown }[] }[] }[];
  };
  const tag = parsed.data[0]!.spans[0]!.tags.find((t) => t.key === 'big.0');
  assert.equal(tag?.value, 9007199254740992);
}

test('int64 attributes beyond 2^53 keep every digit, in by protobuf and JSON, out as Jaeger JSON, across a restart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tracelab-int64-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const dataFile = join(dir, 'traces.jsonl');

  const first = await startCollector({ otlpPort: 0, httpPort: 0, dataFile });
  try {
    await sendAll(first);
    for (const id of [PROTO_TRACE, JSON_STRING_TRACE, JSON_NUMBER_TRACE]) {
      await assertExact(first.queryUrl, id);
    }
    // A tag search matches the exact digits, not the rounded number.
    const q = new URLSearchParams({
      service: 'int64-svc',
      tags: JSON.stringify({ 'big.0': BIG[0] }),
      lookback: 'custom',
      start: '1699999999000000',
      end: '1700000001000000',
    });
    const found = (await (await fetch(`${first.queryUrl}/api/traces?${q.toString()}`)).json()) as {
      data: unknown[];
    };
    assert.equal(found.data.length, 3);
    q.set('tags', JSON.stringify({ 'big.0': '9007199254740992' }));
    const none = (await (await fetch(`${first.queryUrl}/api/traces?${q.toString()}`)).json()) as {
      data: unknown[];
    };
    assert.equal(none.data.length, 0);
  } finally {
    await first.close();
  }

  const again = await startCollector({ otlpPort: 0, httpPort: 0, dataFile });
  t.after(() => again.close());
  for (const id of [PROTO_TRACE, JSON_STRING_TRACE, JSON_NUMBER_TRACE]) {
    await assertExact(again.queryUrl, id);
  }
});

test('an int64 beyond the int64 range is refused with the field named', async (t) => {
  const c = await startCollector({ otlpPort: 0, httpPort: 0 });
  t.after(() => c.close());
  const body = JSON.stringify(
    request(JSON_STRING_TRACE, [{ key: 'huge', value: { intValue: '9223372036854775808' } }]),
  );
  const res = await postJson(c.otlpUrl, body);
  const text = await res.text();
  assert.equal(res.status, 400, text);
  assert.match(text, /intValue.*outside the int64 range/);
});

test('the web UI shows an int64 beyond 2^53 with every digit', async (t) => {
  const c = await startCollector({ otlpPort: 0, httpPort: 0 });
  t.after(() => c.close());
  await sendAll(c);
  const browser = await launchChromium();
  t.after(() => browser.close());
  const { page, pageErrors } = await watchedPage(browser, c.queryUrl);
  await page.goto(`${c.queryUrl}/trace/${PROTO_TRACE}`);
  await page.locator('.span-row').first().click();
  const tags = page.locator('table.tags').first();
  await tags.waitFor();
  const text = await tags.innerText();
  for (const digits of BIG) assert.ok(text.includes(digits), `${digits} not in ${text}`);
  assert.deepEqual(pageErrors, []);
});
