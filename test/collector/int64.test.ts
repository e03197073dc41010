import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startCollector } from '../../src/collector/index.js';
import {
  BIG,
  JSON_NUMBER_TRACE,
  JSON_STRING_TRACE,
  PROTO_TRACE,
  request,
  sendAll,
} from './int64-fixtures.js';
import { postJson } from './otlp-fixtures.js';

/**
 * int64 attributes beyond 2^53 keep every digit: sent to a real collector over HTTP as OTLP
 * protobuf and as OTLP JSON (int64 as a string and as a bare number literal), read back from
 * the query API as text, and again after a restart from the data file.
 */

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
