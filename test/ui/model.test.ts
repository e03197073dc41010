import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { JaegerSpan, JaegerTrace } from '../../src/model/jaeger-trace.js';
import { parseTagFilter } from '../../src/ui/api.js';
import { formatAttribute, formatChange, formatDuration } from '../../src/ui/model/format.js';
import { buildServiceMap, lagOfEdge, topicFans } from '../../src/ui/model/service-map.js';
import { parseTraceFile, traceFileText } from '../../src/ui/model/trace-file.js';
import { buildTraceModel, summarizeTrace, visibleRows } from '../../src/ui/model/trace.js';

function span(
  id: string,
  parent: string | undefined,
  startUs: number,
  durationUs: number,
  processID = 'p1',
  op = id,
): JaegerSpan {
  return {
    traceID: 't1',
    spanID: id,
    flags: 1,
    operationName: op,
    references: parent ? [{ refType: 'CHILD_OF', traceID: 't1', spanID: parent }] : [],
    startTime: startUs,
    duration: durationUs,
    tags: [],
    logs: [],
    processID,
    warnings: null,
  };
}

function trace(spans: JaegerSpan[]): JaegerTrace {
  return {
    traceID: 't1',
    spans,
    processes: {
      p1: { serviceName: 'api-service', tags: [] },
      p2: { serviceName: 'processing-service', tags: [] },
    },
    warnings: null,
  };
}

describe('formatting', () => {
  test('durations read as a person writes them', () => {
    const cases: Array<[number, string]> = [
      [0, '0 ms'],
      [850, '850 µs'],
      [1_234, '1.2 ms'],
      [12_345, '12 ms'],
      [4_200_000, '4.2 s'],
      [156_800_000, '157 s'],
    ];
    for (const [us, text] of cases) assert.equal(formatDuration(us), text, String(us));
  });

  test('a span too short to measure its CPU says so; the threads and source read as words', () => {
    assert.equal(formatAttribute('resource.cpu.measured', false), 'too short to measure');
    assert.equal(formatAttribute('resource.cpu.measured', true), 'measured');
    assert.equal(formatAttribute('resource.cpu.threads', 3), '3 threads');
    assert.equal(formatAttribute('resource.cpu.threads', 1), '1 thread');
    assert.equal(formatAttribute('resource.cpu.source', 'thread'), "the span's own threads");
    assert.equal(formatAttribute('resource.cpu.source', 'process'), 'the whole process');
  });

  test('resource figures carry their units', () => {
    assert.equal(formatAttribute('resource.cpu.avg', 156.8), '156.8 % CPU');
    assert.equal(formatAttribute('resource.memory.max_mb', 67.66), '67.7 MB');
    assert.equal(formatAttribute('resource.cpu_bound', true), 'cpu-bound');
    assert.equal(formatAttribute('resource.cpu_bound', false), 'not cpu-bound');
    assert.equal(formatAttribute('tracelab.queue.wait_us', 4_200_000), '4.2 s');
    assert.equal(formatAttribute('tracelab.queue.wait_us', 850), '850 µs');
    // Traces recorded before the attribute was in microseconds.
    assert.equal(formatAttribute('tracelab.queue.wait_ms', 4200), '4.2 s');
    assert.equal(formatAttribute('order.id', 42), '42');
  });

  test('a change says its sign, size and share', () => {
    assert.equal(formatChange(1_000_000, 1_500_000), '+500 ms (+50 %)');
    assert.equal(formatChange(2_000_000, 1_000_000), '−1 s (−50 %)');
    assert.equal(formatChange(1_000_000, 1_000_000), '±0 ms');
  });

  test('a tag filter is key=value pairs', () => {
    assert.deepEqual(parseTagFilter('workload.intensity=severe  error=true'), {
      'workload.intensity': 'severe',
      error: 'true',
    });
    assert.equal(parseTagFilter('severe'), undefined);
  });
});

describe('trace model', () => {
  test('tree order, depth, services in start order; the input is untouched', () => {
    const spans = [
      span('c', 'a', 30, 10, 'p2'),
      span('a', undefined, 0, 100),
      span('b', 'a', 10, 5),
      span('d', 'c', 35, 2, 'p2'),
    ];
    const input = trace(spans);
    const before = JSON.stringify(input);
    const m = buildTraceModel(input);
    assert.deepEqual(
      m.ordered.map((n) => n.id),
      ['a', 'b', 'c', 'd'],
    );
    assert.deepEqual(
      m.ordered.map((n) => n.depth),
      [0, 1, 1, 2],
    );
    assert.deepEqual(m.services, ['api-service', 'processing-service']);
    assert.equal(m.depth, 3);
    assert.equal(m.durationUs, 100);
    assert.deepEqual(m.warnings, []);
    assert.equal(JSON.stringify(input), before);
  });

  test('a link into another trace (link mode) is not a missing parent; one in the trace is', () => {
    const linked = span('p', undefined, 0, 10, 'p2');
    const consumer = {
      ...linked,
      references: [{ refType: 'FOLLOWS_FROM' as const, traceID: 't0', spanID: 'send' }],
    };
    const followsHere = {
      ...span('f', undefined, 5, 1, 'p2'),
      references: [{ refType: 'FOLLOWS_FROM' as const, traceID: 't1', spanID: 'p' }],
    };
    const m = buildTraceModel(trace([consumer, followsHere]));
    assert.deepEqual(m.warnings, []);
    assert.deepEqual(
      m.roots.map((n) => n.id),
      ['p'],
    );
    assert.equal(m.byId.get('f')!.parent?.id, 'p');
  });

  test('collapsing a span hides its descendants only', () => {
    const m = buildTraceModel(
      trace([
        span('a', undefined, 0, 100),
        span('b', 'a', 1, 5),
        span('c', 'b', 2, 1),
        span('d', 'a', 10, 5),
      ]),
    );
    assert.deepEqual(
      visibleRows(m, new Set(['b'])).map((n) => n.id),
      ['a', 'b', 'd'],
    );
    assert.deepEqual(
      visibleRows(m, new Set(['a'])).map((n) => n.id),
      ['a'],
    );
  });

  test('odd traces give warnings, not exceptions', () => {
    const m = buildTraceModel(
      trace([span('a', undefined, 0, 10), span('a', undefined, 0, 10), span('x', 'gone', 5, 1)]),
    );
    assert.equal(m.ordered.length, 2);
    assert.equal(m.roots.length, 2);
    assert.match(m.warnings.join('\n'), /span a appears twice/);
    assert.match(m.warnings.join('\n'), /parent gone is missing/);
    const cycle = buildTraceModel(trace([span('a', 'b', 0, 10), span('b', 'a', 1, 1)]));
    assert.equal(cycle.ordered.length, 2);
    assert.match(cycle.warnings.join('\n'), /cycle/);
  });

  test('a chain of 5,000 spans builds without exhausting the stack', () => {
    const spans = Array.from({ length: 5000 }, (_, i) =>
      span(`s${i}`, i === 0 ? undefined : `s${i - 1}`, i, 5000 - i),
    );
    const m = buildTraceModel(trace(spans));
    assert.equal(m.depth, 5000);
    assert.equal(m.ordered.at(-1)!.id, 's4999');
  });

  test('a summary counts spans and errors per service', () => {
    const failed = {
      ...span('b', 'a', 1, 1, 'p2'),
      tags: [{ key: 'error', type: 'bool' as const, value: true }],
    };
    const s = summarizeTrace(trace([span('a', undefined, 0, 10), failed]));
    assert.equal(s.rootName, 'api-service: a');
    assert.equal(s.errorCount, 1);
    assert.deepEqual(s.services, [
      { name: 'api-service', spans: 1, errors: 0 },
      { name: 'processing-service', spans: 1, errors: 1 },
    ]);
  });
});

describe('service map', () => {
  test('one edge per sender, topic and handler with rate, wait percentiles and error rate', () => {
    const hops = Array.from({ length: 20 }, (_, i) => ({
      fromService: 'api-service',
      topic: 'orders',
      toService: 'processing-service',
      publishedUs: i * 6_000_000,
      waitUs: (i + 1) * 1000,
      error: i < 2,
    }));
    const map = buildServiceMap(hops, [
      'api-service',
      'processing-service',
      'notification-service',
    ]);
    assert.equal(map.edges.length, 1);
    const e = map.edges[0]!;
    assert.equal(e.count, 20);
    assert.equal(e.waitP50Us, 10_000);
    assert.equal(e.waitP95Us, 19_000);
    assert.equal(e.errorRate, 0.1);
    assert.equal(e.perMinute, 20 / (114 / 60));
    assert.deepEqual(map.services, ['api-service', 'processing-service', 'notification-service']);
  });

  test('fan-out: a topic read by two groups is one fan with an edge and a lag per group', () => {
    const hop = (topic: string, from: string, to: string, waitUs: number) => ({
      fromService: from,
      topic,
      toService: to,
      publishedUs: 0,
      waitUs,
      error: false,
    });
    const map = buildServiceMap(
      [
        hop('processed-orders', 'processing-service', 'notification-service', 1000),
        hop('notified-orders', 'notification-service', 'analytics-service', 2000),
        hop('notified-orders', 'notification-service', 'audit-service', 900_000),
        hop('notified-orders', 'notification-service', 'analytics-service', 3000),
      ],
      [],
    );
    const fans = topicFans(map);
    assert.deepEqual(
      fans.map((f) => [f.fromService, f.topic, f.edges.map((i) => map.edges[i]!.toService)]),
      [
        ['processing-service', 'processed-orders', ['notification-service']],
        ['notification-service', 'notified-orders', ['analytics-service', 'audit-service']],
      ],
    );
    // Each group its own wait: the slow audit does not show on analytics' edge.
    const [analytics, audit] = fans[1]!.edges.map((i) => map.edges[i]!);
    assert.deepEqual([analytics!.count, analytics!.waitP95Us], [2, 3000]);
    assert.deepEqual([audit!.count, audit!.waitP95Us], [1, 900_000]);
    const backlog = [
      { group: 'analytics-service', topic: 'notified-orders', lag: 0 },
      { group: 'audit-service', topic: 'notified-orders', lag: 42 },
      { group: 'audit-service', topic: 'orders', lag: 7 },
    ];
    assert.equal(lagOfEdge(analytics!, backlog), 0);
    assert.equal(lagOfEdge(audit!, backlog), 42);
    assert.equal(lagOfEdge(audit!, undefined), undefined);
    assert.equal(
      lagOfEdge({ topic: 'orders', toService: 'processing-service' }, backlog),
      undefined,
    );
  });
});

describe('trace files', () => {
  const t = trace([span('a', undefined, 0, 10)]);

  test('a downloaded trace opens again, in any of Jaeger’s shapes', () => {
    assert.deepEqual(parseTraceFile(traceFileText(t)), [t]);
    assert.deepEqual(parseTraceFile(JSON.stringify([t])), [t]);
    assert.deepEqual(parseTraceFile(JSON.stringify(t)), [t]);
  });

  test('a file that is not a trace says what is wrong', () => {
    assert.throws(() => parseTraceFile('{"data":'), /not JSON/);
    assert.throws(() => parseTraceFile('{"data":[]}'), /no trace/);
    assert.throws(() => parseTraceFile('{"spans":[]}'), /no traceID/);
    assert.throws(
      () => parseTraceFile('{"traceID":"t","spans":[{}],"processes":{}}'),
      /a span lacks/,
    );
  });
});
