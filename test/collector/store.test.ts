import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCollector } from '../../src/collector/index.js';
import type { RunningCollector } from '../../src/collector/index.js';
import type { JaegerResponse, JaegerTrace } from '../../src/model/jaeger-trace.js';
import { BASE_US, otlpJson, postJson, spanIdOf, traceIdOf } from './otlp-fixtures.js';
import type { FixtureSpan } from './otlp-fixtures.js';

async function start(
  t: { after: (fn: () => Promise<void>) => void },
  maxSpans = 1000,
): Promise<RunningCollector> {
  const c = await startCollector({ otlpPort: 0, httpPort: 0, maxSpans });
  t.after(() => c.close());
  return c;
}

async function send(c: RunningCollector, spans: FixtureSpan[]): Promise<void> {
  const res = await postJson(c.otlpUrl, otlpJson(spans));
  assert.equal(res.status, 200, await res.text());
}

async function get<T>(
  c: RunningCollector,
  path: string,
): Promise<{ status: number; body: JaegerResponse<T> }> {
  const res = await fetch(`${c.queryUrl}${path}`);
  return { status: res.status, body: (await res.json()) as JaegerResponse<T> };
}

test('the store keeps at most --max-spans spans, evicting the first received whole traces', async (t) => {
  const c = await start(t, 5);
  // Traces 1..4 with 2 spans each: only the last two whole traces fit in 5 spans.
  for (let n = 1; n <= 4; n++) {
    await send(c, [
      { traceId: traceIdOf(n), spanId: spanIdOf(n * 10), startUs: BASE_US + n },
      {
        traceId: traceIdOf(n),
        spanId: spanIdOf(n * 10 + 1),
        parentSpanId: spanIdOf(n * 10),
        startUs: BASE_US + n,
      },
    ]);
  }
  for (const n of [1, 2]) {
    assert.equal((await get(c, `/api/traces/${traceIdOf(n)}`)).status, 404, `trace ${n} evicted`);
  }
  for (const n of [3, 4]) {
    const { status, body } = await get<JaegerTrace[]>(c, `/api/traces/${traceIdOf(n)}`);
    assert.equal(status, 200);
    assert.equal(body.data[0]!.spans.length, 2, `trace ${n} kept whole`);
  }
  assert.deepEqual(c.store.stats(), { traces: 2, spans: 4, evictedTraces: 2 });
  const search = await get<JaegerTrace[]>(
    c,
    `/api/traces?service=svc&start=${BASE_US}&end=${BASE_US + 10}`,
  );
  assert.deepEqual(
    search.body.data.map((tr) => tr.traceID),
    [traceIdOf(4), traceIdOf(3)],
  );
});

test('a service disappears from /api/services once all its traces are evicted', async (t) => {
  const c = await start(t, 1);
  await send(c, [{ traceId: traceIdOf(1), spanId: spanIdOf(1), service: 'old' }]);
  await send(c, [{ traceId: traceIdOf(2), spanId: spanIdOf(2), service: 'new' }]);
  assert.deepEqual((await get<string[]>(c, '/api/services')).body.data, ['new']);
});

test('spans that arrive late and out of order join their trace', async (t) => {
  const c = await start(t);
  const id = traceIdOf(7);
  // Grandchild first, then the root, in separate exports from different services, then the child.
  await send(c, [
    {
      traceId: id,
      spanId: spanIdOf(3),
      parentSpanId: spanIdOf(2),
      service: 'c',
      startUs: BASE_US + 300,
    },
  ]);
  const partial = await get<JaegerTrace[]>(c, `/api/traces/${id}`);
  assert.equal(partial.body.data[0]!.spans.length, 1);
  assert.match(
    partial.body.data[0]!.spans[0]!.warnings?.[0] ?? '',
    /parent span .* is not in this trace/,
  );
  await send(c, [
    { traceId: id, spanId: spanIdOf(1), service: 'a', startUs: BASE_US, durationUs: 5000 },
  ]);
  await send(c, [
    {
      traceId: id,
      spanId: spanIdOf(2),
      parentSpanId: spanIdOf(1),
      service: 'b',
      startUs: BASE_US + 100,
    },
  ]);
  const whole = (await get<JaegerTrace[]>(c, `/api/traces/${id}`)).body.data[0]!;
  assert.deepEqual(
    whole.spans.map((s) => [s.spanID, s.references[0]?.spanID ?? null]),
    [
      [spanIdOf(1), null],
      [spanIdOf(2), spanIdOf(1)],
      [spanIdOf(3), spanIdOf(2)],
    ],
  );
  assert.equal(whole.warnings, null);
  assert.ok(whole.spans.every((s) => s.warnings === null));
  // The late root still makes the trace findable from its own service and time.
  const found = await get<JaegerTrace[]>(
    c,
    `/api/traces?service=a&start=${BASE_US}&end=${BASE_US + 1}`,
  );
  assert.deepEqual(
    found.body.data.map((tr) => tr.traceID),
    [id],
  );
  // A span sent twice (an exporter retry) is kept once.
  await send(c, [
    { traceId: id, spanId: spanIdOf(1), service: 'a', startUs: BASE_US, durationUs: 5000 },
  ]);
  assert.equal((await get<JaegerTrace[]>(c, `/api/traces/${id}`)).body.data[0]!.spans.length, 3);
});

test('trace ids match whatever their case, on the way in and on the way out', async (t) => {
  const c = await start(t);
  const id = 'ABCDEF0123456789ABCDEF0123456789';
  await send(c, [{ traceId: id, spanId: 'AAAAAAAAAAAAAAAA' }]);
  await send(c, [
    { traceId: id.toLowerCase(), spanId: 'bbbbbbbbbbbbbbbb', parentSpanId: 'AaAaAaAaAaAaAaAa' },
  ]);
  for (const asked of [id, id.toLowerCase(), 'abcdef0123456789ABCDEF0123456789']) {
    const { status, body } = await get<JaegerTrace[]>(c, `/api/traces/${asked}`);
    assert.equal(status, 200, asked);
    assert.equal(body.data[0]!.traceID, id.toLowerCase());
    assert.equal(body.data[0]!.spans.length, 2);
  }
  const both = await get<JaegerTrace[]>(c, `/api/traces?traceID=${id}&traceID=${traceIdOf(9)}`);
  assert.equal(both.body.data.length, 1);
});

test('searches filter by operation, tags, duration and time, most recent first, up to limit', async (t) => {
  const c = await start(t);
  const spans: FixtureSpan[] = [];
  for (let n = 0; n < 30; n++) {
    spans.push({
      traceId: traceIdOf(100 + n),
      spanId: spanIdOf(100 + n),
      name: n % 2 === 0 ? 'GET /a' : 'GET /b',
      startUs: BASE_US + n * 1_000_000,
      durationUs: n * 1000,
      attributes: { 'http.status_code': n % 3 === 0 ? '500' : '200' },
    });
  }
  await send(c, spans);
  const ids = async (query: string) =>
    (
      await get<JaegerTrace[]>(
        c,
        `/api/traces?service=svc&start=${BASE_US}&end=${BASE_US + 60_000_000}&${query}`,
      )
    ).body.data.map((tr) => Number(tr.traceID.slice(-4)) - 100);
  assert.deepEqual(await ids('operation=GET%20/a&limit=3'), [28, 26, 24]);
  assert.deepEqual(
    await ids(`tags=${encodeURIComponent('{"http.status_code":"500"}')}&limit=4`),
    [27, 24, 21, 18],
  );
  assert.deepEqual(await ids('minDuration=5ms&maxDuration=7.5ms'), [7, 6, 5]);
  assert.deepEqual(await ids('tag=span.kind:server&operation=GET%20/b&limit=2'), [29, 27]);
  const early = await get<JaegerTrace[]>(
    c,
    `/api/traces?service=svc&start=${BASE_US}&end=${BASE_US + 2_500_000}`,
  );
  assert.deepEqual(early.body.data.length, 3);
  const ops = await get<{ name: string; spanKind: string }[]>(
    c,
    '/api/operations?service=svc&spanKind=server',
  );
  assert.deepEqual(ops.body.data, [
    { name: 'GET /a', spanKind: 'server' },
    { name: 'GET /b', spanKind: 'server' },
  ]);
  assert.deepEqual((await get<string[]>(c, '/api/services/svc/operations')).body.data, [
    'GET /a',
    'GET /b',
  ]);
  assert.deepEqual(
    (await get<unknown>(c, '/api/operations?service=svc&spanKind=client')).body.data,
    [],
  );
});
