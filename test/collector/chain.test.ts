import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startCollector } from '../../src/collector/index.js';
import type { RunningCollector } from '../../src/collector/index.js';
import type { JaegerChainTrace, JaegerResponse, JaegerTrace } from '../../src/model/index.js';
import { BASE_US, otlpJson, postJson, spanIdOf, traceIdOf } from './otlp-fixtures.js';
import type { FixtureSpan } from './otlp-fixtures.js';

/**
 * One order in link mode: api's trace (1), processing's (2) linking to api's send span, and
 * notification's (3) linking to processing's; trace 9 is another order, unlinked.
 */
function linkedOrder(): FixtureSpan[] {
  const t = traceIdOf;
  const s = spanIdOf;
  return [
    { traceId: t(1), spanId: s(1), service: 'api', name: 'POST /order', startUs: BASE_US },
    {
      traceId: t(1),
      spanId: s(2),
      parentSpanId: s(1),
      service: 'api',
      name: 'send orders',
      startUs: BASE_US + 1000,
    },
    {
      traceId: t(2),
      spanId: s(3),
      service: 'processing',
      name: 'process orders',
      startUs: BASE_US + 5000,
      links: [{ traceId: t(1), spanId: s(2) }],
    },
    {
      traceId: t(2),
      spanId: s(4),
      parentSpanId: s(3),
      service: 'processing',
      name: 'send processed-orders',
      startUs: BASE_US + 6000,
    },
    {
      traceId: t(3),
      spanId: s(5),
      service: 'notification',
      name: 'process processed-orders',
      startUs: BASE_US + 9000,
      links: [{ traceId: t(2), spanId: s(4) }],
    },
    { traceId: t(9), spanId: s(9), service: 'api', name: 'POST /order', startUs: BASE_US },
  ];
}

async function get<T>(c: RunningCollector, path: string) {
  const res = await fetch(`${c.queryUrl}${path}`);
  return { status: res.status, body: (await res.json()) as JaegerResponse<T> };
}

describe('linked traces in the collector', () => {
  let c: RunningCollector;

  test('setup: the order sent as OTLP/JSON, the last trace first', async (t) => {
    c = await startCollector({ otlpPort: 0, httpPort: 0 });
    t.after(() => c.close());
    const res = await postJson(c.otlpUrl, otlpJson(linkedOrder().reverse()));
    assert.equal(res.status, 200, await res.text());

    await t.test('a link is a FOLLOWS_FROM reference to the other trace', async () => {
      const { body } = await get<JaegerTrace[]>(c, `/api/traces/${traceIdOf(2)}`);
      const root = body.data[0]!.spans.find((s) => s.spanID === spanIdOf(3))!;
      assert.deepEqual(root.references, [
        { refType: 'FOLLOWS_FROM', traceID: traceIdOf(1), spanID: spanIdOf(2) },
      ]);
    });

    await t.test(
      'the chain from any of its traces: all three, stitched into one tree',
      async () => {
        for (const from of [1, 2, 3]) {
          const { status, body } = await get<JaegerChainTrace[]>(
            c,
            `/api/tracelab/chain/${traceIdOf(from)}`,
          );
          assert.equal(status, 200);
          const chain = body.data[0]!;
          assert.equal(chain.traceID, traceIdOf(1), 'named after its first trace');
          assert.deepEqual(
            chain.chain.map((m) => [m.traceID, m.serviceName, m.operationName, m.spans]),
            [
              [traceIdOf(1), 'api', 'POST /order', 2],
              [traceIdOf(2), 'processing', 'process orders', 2],
              [traceIdOf(3), 'notification', 'process processed-orders', 1],
            ],
          );
          assert.equal(chain.spans.length, 5);
          const parents = chain.spans.map((s) => [
            s.operationName,
            s.references.find((r) => r.refType === 'CHILD_OF')?.spanID ?? null,
          ]);
          assert.deepEqual(parents, [
            ['POST /order', null],
            ['send orders', spanIdOf(1)],
            ['process orders', spanIdOf(2)],
            ['send processed-orders', spanIdOf(3)],
            ['process processed-orders', spanIdOf(4)],
          ]);
          assert.equal(chain.warnings, null);
        }
      },
    );

    await t.test(
      'a trace without links is a chain of one; unknown and bad ids answer 4xx',
      async () => {
        const alone = await get<JaegerChainTrace[]>(c, `/api/tracelab/chain/${traceIdOf(9)}`);
        assert.deepEqual(
          alone.body.data[0]!.chain.map((m) => m.traceID),
          [traceIdOf(9)],
        );
        const missing = await get<null>(c, `/api/tracelab/chain/${traceIdOf(77)}`);
        assert.equal(missing.status, 404);
        assert.equal(missing.body.errors?.[0]?.error, 'TRACE_NOT_FOUND');
        const bad = await get<null>(c, '/api/tracelab/chain/not-hex');
        assert.equal(bad.status, 400);
        assert.equal(bad.body.errors?.[0]?.error, 'QUERY_BAD_PARAM');
      },
    );
  });
});

test('evicting a trace takes it out of its chain', async (t) => {
  const c = await startCollector({ otlpPort: 0, httpPort: 0, maxSpans: 4 });
  t.after(() => c.close());
  // Trace 1 (2 spans) is received first; trace 9 (1 span) pushes it out once 5 are held.
  for (const batch of [linkedOrder().slice(0, 4), linkedOrder().slice(5)]) {
    const res = await postJson(c.otlpUrl, otlpJson(batch));
    assert.equal(res.status, 200);
  }
  const { body } = await get<JaegerChainTrace[]>(c, `/api/tracelab/chain/${traceIdOf(2)}`);
  assert.deepEqual(
    body.data[0]!.chain.map((m) => m.traceID),
    [traceIdOf(2)],
  );
  const root = body.data[0]!.spans.find((s) => s.spanID === spanIdOf(3))!;
  assert.deepEqual(
    root.references.map((r) => r.refType),
    ['FOLLOWS_FROM'],
    'the link stays; no parent is made up for a trace not held',
  );
});
