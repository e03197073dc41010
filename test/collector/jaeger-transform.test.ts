import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toJaegerTrace } from '../../src/collector/query/jaeger-transform.js';
import { micros } from '../../src/collector/store/span-record.js';
import type { ProcessResource, SpanRecord } from '../../src/collector/store/span-record.js';

const api: ProcessResource = {
  serviceName: 'api',
  attributes: [{ key: 'host.name', type: 'string', value: 'h1' }],
};
const apiAgain: ProcessResource = {
  serviceName: 'api',
  attributes: [{ key: 'host.name', type: 'string', value: 'h1' }],
};
const db: ProcessResource = { serviceName: 'db', attributes: [] };

function span(
  spanId: string,
  parentSpanId: string,
  resource: ProcessResource,
  startUs: number,
): SpanRecord {
  return {
    traceId: 'a'.repeat(32),
    spanId,
    parentSpanId,
    name: `op-${spanId.slice(-1)}`,
    kind: 'internal',
    startUs: micros(startUs),
    durationUs: micros(10),
    attributes: [],
    events: [],
    links: [],
    statusCode: 'unset',
    statusMessage: '',
    traceState: '',
    flags: 0x101,
    scope: { name: '', version: '' },
    resource,
  };
}

/*
 *   1 (api) ── 2 (api, another export of the same process)
 *           └─ 3 (db)
 *   5 (db) — parent 4 never arrived
 */
const fixture = (): SpanRecord[] => [
  span('0000000000000003', '0000000000000001', db, 30),
  span('0000000000000001', '', api, 10),
  span('0000000000000002', '0000000000000001', apiAgain, 20),
  span('0000000000000005', '0000000000000004', db, 50),
];

test('toJaegerTrace: processes are shared by identical resources, spans sorted by start', () => {
  const trace = toJaegerTrace(fixture())!;
  assert.deepEqual(trace.processes, {
    p1: { serviceName: 'api', tags: [{ key: 'host.name', type: 'string', value: 'h1' }] },
    p2: { serviceName: 'db', tags: [] },
  });
  assert.deepEqual(
    trace.spans.map((s) => [s.spanID.slice(-1), s.processID, s.flags]),
    [
      ['1', 'p1', 1],
      ['2', 'p1', 1],
      ['3', 'p2', 1],
      ['5', 'p2', 1],
    ],
  );
});

test('toJaegerTrace: a partial trace gives warnings, not an exception', () => {
  const trace = toJaegerTrace(fixture())!;
  const orphan = trace.spans.find((s) => s.spanID.endsWith('5'))!;
  assert.deepEqual(orphan.references, [
    { refType: 'CHILD_OF', traceID: 'a'.repeat(32), spanID: '0000000000000004' },
  ]);
  assert.match(orphan.warnings![0]!, /parent span 0000000000000004 is not in this trace/);
  assert.deepEqual(trace.warnings, [
    '1 span(s) have a parent that is not in this trace (partial trace)',
  ]);
  const dup = toJaegerTrace([...fixture(), span('0000000000000001', '', api, 60)])!;
  assert.ok(dup.warnings!.some((w) => /appear more than once/.test(w)));
  assert.equal(toJaegerTrace([]), undefined);
});

test('toJaegerTrace: the input is not mutated', () => {
  const input = fixture();
  const copy = structuredClone(input);
  Object.freeze(input);
  input.forEach((s) => Object.freeze(s));
  toJaegerTrace(input);
  assert.deepEqual(input, copy);
});

test('toJaegerTrace: status, kind, scope, trace state and events map as Jaeger maps them', () => {
  const s: SpanRecord = {
    ...span('0000000000000001', '', api, 10),
    kind: 'client',
    statusCode: 'error',
    statusMessage: 'boom',
    traceState: 'k=v',
    scope: { name: 'lib', version: '1.0' },
    attributes: [{ key: 'n', type: 'int64', value: 3 }],
    events: [
      {
        timeUs: micros(12),
        name: 'retry',
        attributes: [{ key: 'attempt', type: 'int64', value: 2 }],
      },
      { timeUs: micros(13), name: '', attributes: [{ key: 'x', type: 'bool', value: true }] },
    ],
    links: [{ traceId: 'b'.repeat(32), spanId: 'c'.repeat(16), attributes: [] }],
  };
  const out = toJaegerTrace([s])!.spans[0]!;
  assert.deepEqual(out.tags, [
    { key: 'n', type: 'int64', value: 3 },
    { key: 'otel.scope.name', type: 'string', value: 'lib' },
    { key: 'otel.scope.version', type: 'string', value: '1.0' },
    { key: 'span.kind', type: 'string', value: 'client' },
    { key: 'otel.status_code', type: 'string', value: 'ERROR' },
    { key: 'error', type: 'bool', value: true },
    { key: 'otel.status_description', type: 'string', value: 'boom' },
    { key: 'w3c.tracestate', type: 'string', value: 'k=v' },
  ]);
  assert.deepEqual(out.logs, [
    {
      timestamp: 12,
      fields: [
        { key: 'event', type: 'string', value: 'retry' },
        { key: 'attempt', type: 'int64', value: 2 },
      ],
    },
    { timestamp: 13, fields: [{ key: 'x', type: 'bool', value: true }] },
  ]);
  assert.deepEqual(out.references, [
    { refType: 'FOLLOWS_FROM', traceID: 'b'.repeat(32), spanID: 'c'.repeat(16) },
  ]);
});
