import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  compareTraces,
  criticalPath,
  formatChange,
  formatRelative,
  queueWaits,
  verdictOf,
} from '../../src/analysis/index.js';
import type { CriticalPathSegment } from '../../src/analysis/index.js';
import type { JaegerTrace } from '../../src/model/jaeger-trace.js';
import { at, drawTrace, ms, snapshot } from '../helpers/draw-trace.js';

/** One order through three services; each column is 1 ms. */
const ORDER = `
POST /order                          | api-service          | server   |[====]
  create_order                       | api-service          |          | [==]
    input_validation                 | api-service          |          | []
    send orders                      | api-service          | producer |   []
      process orders                 | processing-service   | consumer |          [========]
        process_order                | processing-service   |          |          [========]
          data_transformation        | processing-service   |          |          [==]
          business_logic             | processing-service   |          |             [===]
          send processed-orders      | processing-service   | producer |                 []
            process processed-orders | notification-service | consumer |                      [==]
              notify_order           | notification-service |          |                      [==]
`;

/** The critical path as `operation [from-to]` in drawing columns, easy to read in a failure. */
function path(segments: readonly CriticalPathSegment[]): string[] {
  return segments.map(
    (s) =>
      `${s.kind === 'queue' ? `queue ${s.topic ?? '?'} → ` : ''}${s.operationName} [${(s.startUs - at(0)) / 1000}-${(s.endUs - at(0)) / 1000}]`,
  );
}

function assertContiguous(segments: readonly CriticalPathSegment[], from: number, to: number) {
  assert.equal(segments[0]?.startUs, from, 'the path starts at the root start');
  assert.equal(segments[segments.length - 1]?.endUs, to, 'the path ends at the trace end');
  for (let i = 1; i < segments.length; i++) {
    assert.equal(segments[i]!.startUs, segments[i - 1]!.endUs, `segment ${i} follows on`);
  }
}

describe('queueWaits', () => {
  test('one hop per producer/consumer pair: the consumer start minus the producer end', () => {
    const waits = queueWaits(drawTrace(ORDER));
    assert.deepEqual(
      waits.map((w) => [w.topic, w.fromService, w.toService, w.waitUs, w.clampedUs]),
      [
        ['orders', 'api-service', 'processing-service', ms(6), 0],
        ['processed-orders', 'processing-service', 'notification-service', ms(4), 0],
      ],
    );
    assert.deepEqual(waits.warnings, []);
    const trace = drawTrace(ORDER);
    const send = trace.spans.find((s) => s.operationName === 'send orders')!;
    const process = trace.spans.find((s) => s.operationName === 'process orders')!;
    assert.equal(waits[0]!.producerSpanID, send.spanID);
    assert.equal(waits[0]!.consumerSpanID, process.spanID);
  });

  test('a consumer that follows from its producer (FOLLOWS_FROM) is a hop too', () => {
    const waits = queueWaits(
      drawTrace(`
POST /order        | api-service        | server   |[==]
  send orders      | api-service        | producer | []
    process orders | processing-service | consumer |       [===]  ref=follows
`),
    );
    assert.deepEqual(
      waits.map((w) => [w.topic, w.waitUs]),
      [['orders', ms(5)]],
    );
  });

  test('a consumer that starts before its producer span ends waits 0, without a warning', () => {
    // The message is readable once the broker has it; the send span ends when the sender hears back.
    const waits = queueWaits(
      drawTrace(`
POST /order        | api-service        | server   |[======]
  send orders      | api-service        | producer |  [===]
    process orders | processing-service | consumer |    [=====]
`),
    );
    assert.deepEqual(
      waits.map((w) => [w.waitUs, w.clampedUs]),
      [[0, ms(2)]],
    );
    assert.deepEqual(waits.warnings, []);
  });

  test('a consumer that starts before its producer began is clock skew: 0, with a warning', () => {
    const waits = queueWaits(
      drawTrace(`
POST /order        | api-service        | server   |   [======]
  send orders      | api-service        | producer |     [===]
    process orders | processing-service | consumer | [=====]
`),
    );
    assert.deepEqual(
      waits.map((w) => [w.waitUs, w.clampedUs]),
      [[0, ms(8)]],
    );
    assert.deepEqual(
      waits.warnings.map((w) => w.code),
      ['clock-skew'],
    );
    assert.match(waits.warnings[0]!.message, /4000 µs before api-service send orders begins/);
  });
});

describe('criticalPath', () => {
  test('follows the order through its queues, from the root start to the trace end', () => {
    const segments = criticalPath(drawTrace(ORDER));
    assert.deepEqual(path(segments), [
      'POST /order [0-1]',
      'input_validation [1-2]',
      'create_order [2-3]',
      'send orders [3-4]',
      'queue orders → process orders [4-10]',
      'data_transformation [10-13]',
      'business_logic [13-17]',
      'send processed-orders [17-18]',
      'queue processed-orders → process processed-orders [18-22]',
      'notify_order [22-25]',
    ]);
    assertContiguous(segments, at(0), at(25));
    const queue = segments.find((s) => s.kind === 'queue')!;
    assert.equal(queue.serviceName, 'processing-service');
    assert.deepEqual(segments.warnings, []);
  });

  test('among overlapping children, the last to finish is on the path (as in Jaeger UI)', () => {
    const segments = criticalPath(
      drawTrace(`
parent | svc | |[==========]
  a    | svc | | [====]
  b    | svc | |   [=====]
  c    | svc | |  []
`),
    );
    assert.deepEqual(path(segments), ['parent [0-1]', 'a [1-3]', 'b [3-9]', 'parent [9-11]']);
  });

  test('a consumer starting inside its producer span takes over the path at its start', () => {
    const segments = criticalPath(
      drawTrace(`
POST /order        | api-service        | server   |[======]
  send orders      | api-service        | producer |  [===]
    process orders | processing-service | consumer |    [=====]
`),
    );
    assert.deepEqual(path(segments), [
      'POST /order [0-2]',
      'send orders [2-4]',
      'process orders [4-10]',
    ]);
  });
});

describe('partial and odd traces give warnings, not exceptions', () => {
  test('a span whose parent never arrived: warned, walked after the root, the gap named', () => {
    const trace = drawTrace(`
POST /order        | api-service        | server   |[==]
  create_order     | api-service        |          | []
process orders     | processing-service | consumer |      [====]  parent=lost
  process_order    | processing-service |          |      [====]
`);
    const segments = criticalPath(trace);
    assert.deepEqual(path(segments), [
      'POST /order [0-1]',
      'create_order [1-2]',
      'POST /order [2-3]',
      'process_order [6-11]',
    ]);
    assert.deepEqual(
      segments.warnings.map((w) => w.code),
      ['missing-parent', 'critical-path-gap'],
    );
    assert.match(segments.warnings[0]!.message, /parent lost/);
    assert.match(segments.warnings[1]!.message, /3000 µs/);
    const waits = queueWaits(trace);
    assert.deepEqual([...waits], []);
    assert.deepEqual(
      waits.warnings.map((w) => w.code),
      ['missing-parent'],
    );
  });

  test('spans out of order and a duplicate span id give the same answers, with a warning', () => {
    const trace = drawTrace(ORDER);
    const shuffled: JaegerTrace = {
      ...trace,
      spans: [...trace.spans.slice(5), ...trace.spans.slice(0, 5).reverse(), trace.spans[3]!],
    };
    assert.deepEqual(path(criticalPath(shuffled)), path(criticalPath(trace)));
    const waits = queueWaits(shuffled);
    assert.deepEqual(
      waits.map((w) => w.waitUs),
      [ms(6), ms(4)],
    );
    assert.deepEqual(
      waits.warnings.map((w) => [w.code, w.spanID]),
      [['duplicate-span-id', trace.spans[3]!.spanID]],
    );
  });

  test('no root, a reference cycle, an empty trace: results and warnings', () => {
    const cycle = drawTrace(`
a | svc | |[==]  id=x parent=y
b | svc | | []   id=y parent=x
`);
    const codes = criticalPath(cycle).warnings.map((w) => w.code);
    assert.ok(codes.includes('reference-cycle'), codes.join());
    const empty: JaegerTrace = { traceID: 'e', spans: [], processes: {}, warnings: null };
    const none = criticalPath(empty);
    assert.deepEqual([...none], []);
    assert.deepEqual(
      none.warnings.map((w) => w.code),
      ['empty-trace'],
    );
    const orphanOnly = criticalPath(
      drawTrace(`
process orders | processing-service | consumer |[==]  parent=gone
`),
    );
    assert.deepEqual(path(orphanOnly), ['process orders [0-3]']);
    assert.deepEqual(
      orphanOnly.warnings.map((w) => w.code),
      ['missing-parent', 'no-root'],
    );
  });
});

describe('compareTraces', () => {
  test('per service and stage: both durations, the change in µs and %, stages only in one', () => {
    const a = drawTrace(ORDER);
    const b = drawTrace(`
POST /order                          | api-service          | server   |[====]
  create_order                       | api-service          |          | [==]
    audit_logging                    | api-service          |          | []
    send orders                      | api-service          | producer |   []
      process orders                 | processing-service   | consumer |                    [============]
        process_order                | processing-service   |          |                    [============]
          data_transformation        | processing-service   |          |                    [======]
          business_logic             | processing-service   |          |                           [===]
          send processed-orders      | processing-service   | producer |                               []
            process processed-orders | notification-service | consumer |                                 [==]
              notify_order           | notification-service |          |                                 [==]
`);
    const c = compareTraces(a, b);
    const row = (service: string, operation: string) =>
      c.stages.find((s) => s.service === service && s.operation === operation)!;
    assert.deepEqual(row('processing-service', 'data_transformation'), {
      service: 'processing-service',
      operation: 'data_transformation',
      a: { count: 1, durationUs: ms(3) },
      b: { count: 1, durationUs: ms(7) },
      deltaUs: ms(4),
      deltaPct: 133.3,
    });
    assert.equal(row('processing-service', 'business_logic').deltaUs, 0);
    assert.deepEqual(c.onlyInA, [{ service: 'api-service', operation: 'input_validation' }]);
    assert.deepEqual(c.onlyInB, [{ service: 'api-service', operation: 'audit_logging' }]);
    assert.equal(row('api-service', 'input_validation').b, null);
    assert.equal(row('api-service', 'input_validation').deltaUs, null);
    assert.deepEqual(
      c.queues.map((q) => [q.topic, q.aUs, q.bUs, q.deltaUs, q.deltaPct]),
      [
        ['orders', ms(6), ms(16), ms(10), 166.7],
        ['processed-orders', ms(4), ms(1), -ms(3), -75],
      ],
    );
    assert.equal(c.a.durationUs, ms(25));
    assert.equal(c.b.durationUs, ms(36));
    assert.equal(c.durationDeltaPct, 44);
    assert.deepEqual(
      c.stages.map((s) => s.service),
      [
        'api-service',
        'api-service',
        'api-service',
        'api-service',
        'api-service',
        'notification-service',
        'notification-service',
        'processing-service',
        'processing-service',
        'processing-service',
        'processing-service',
        'processing-service',
      ],
    );
  });
});

describe('compare: the largest change on the critical path first', () => {
  const before = `
POST /order                          | api-service          | server   |[====]
  create_order                       | api-service          |          | [==]
    send orders                      | api-service          | producer |   []
      process orders                 | processing-service   | consumer |          [==========]
        process_order                | processing-service   |          |          [==========]
          data_transformation        | processing-service   |          |          [====]
          cache_lookup               | processing-service   |          |          [===]
          business_logic             | processing-service   |          |               [====]
          send processed-orders      | processing-service   | producer |                    []
            process processed-orders | notification-service | consumer |                         [==]
              notify_order           | notification-service |          |                         [==]
`;
  // Processing got faster on every stage, one of them off the path (cache_lookup runs beside
  // data_transformation); the message then waited 42 ms in processed-orders instead of 4 ms.
  const after = `
POST /order                          | api-service          | server   |[====]
  create_order                       | api-service          |          | [==]
    send orders                      | api-service          | producer |   []
      process orders                 | processing-service   | consumer |          [=======]
        process_order                | processing-service   |          |          [=======]
          data_transformation        | processing-service   |          |          [===]
          cache_lookup               | processing-service   |          |          []
          business_logic             | processing-service   |          |              [==]
          send processed-orders      | processing-service   | producer |                 []
            process processed-orders | notification-service | consumer |                                                            [==]
              notify_order           | notification-service |          |                                                            [==]
`;

  test('the queue wait that grew leads, red, with a bar-sized change and a ratio', () => {
    const c = compareTraces(drawTrace(before), drawTrace(after));
    const top = c.changes[0]!;
    assert.deepEqual(
      [top.kind, top.service, top.operation, top.topic, top.aUs, top.bUs, top.tone],
      [
        'queue',
        'notification-service',
        'queue processed-orders',
        'processed-orders',
        ms(4),
        ms(42),
        'worse',
      ],
    );
    assert.equal(top.change, '+38 ms (×11)');
    assert.equal(top.pathDeltaUs, ms(38));
    // Every row, stages and queues, is in one list ordered by its change on the critical path.
    const onPath = c.changes.filter((r) => r.onPath);
    for (let i = 1; i < onPath.length; i++) {
      assert.ok(
        Math.abs(onPath[i - 1]!.pathDeltaUs) >= Math.abs(onPath[i]!.pathDeltaUs),
        `${onPath[i - 1]!.operation} before ${onPath[i]!.operation}`,
      );
    }
    assert.ok(c.changes.some((r) => r.kind === 'queue' && r.topic === 'orders'));
  });

  test('green only where the time on the critical path fell; faster off the path is grey', () => {
    const c = compareTraces(drawTrace(before), drawTrace(after));
    const row = (op: string) => c.changes.find((r) => r.operation === op)!;
    assert.equal(row('business_logic').verdict, 'faster');
    assert.equal(row('business_logic').tone, 'better');
    const cache = row('cache_lookup');
    assert.deepEqual([cache.verdict, cache.onPath, cache.tone], ['faster', false, 'neutral']);
    assert.equal(cache.change, '−3 ms (−75 %)');
    const container = row('process_order');
    assert.deepEqual([container.onPath, container.viaChildren], [false, true]);
    assert.ok(
      c.changes.indexOf(cache) > c.changes.indexOf(row('business_logic')),
      'off the path after on it',
    );
    assert.equal(row('notify_order').tone, 'neutral', 'the same time is not a change');
  });
});

describe('a change as a figure', () => {
  test('a percentage up to ×10, a ratio from there, the absolute change below 1 ms of base', () => {
    assert.equal(formatChange(ms(1000), ms(1350)), '+350 ms (+35 %)');
    assert.equal(formatChange(ms(2000), ms(1560)), '−440 ms (−22 %)');
    assert.equal(formatChange(ms(100), ms(999)), '+899 ms (+899 %)');
    assert.equal(formatChange(ms(1), ms(1250)), '+1.2 s (×1,250)');
    assert.equal(formatChange(ms(1.35), ms(11_000)), '+11 s (×8,148)');
    assert.equal(formatChange(900, ms(11_000)), '+11 s');
    assert.equal(formatChange(0, ms(5)), '+5 ms');
    assert.equal(formatChange(ms(50), ms(50)), '±0 ms');
    assert.equal(formatRelative(ms(100), ms(1000)), '×10');
    assert.equal(formatRelative(999, ms(1000)), null);
  });

  test('noise is the same: under 0.5 ms or under 5 %', () => {
    assert.equal(verdictOf(ms(100), ms(104)), 'same');
    assert.equal(verdictOf(ms(1), ms(1.4)), 'same');
    assert.equal(verdictOf(ms(100), ms(106)), 'slower');
    assert.equal(verdictOf(null, ms(1)), 'only in B');
  });
});

test('no function changes the trace it is given', () => {
  const traces = [
    drawTrace(ORDER),
    drawTrace(`
a | svc | |[==]  id=x parent=y
b | svc | | []   id=y parent=x
x | svc | |  [] id=x
`),
  ];
  for (const t of traces) {
    const before = snapshot(t);
    queueWaits(t);
    criticalPath(t);
    compareTraces(t, traces[0]!);
    assert.deepEqual(t, before);
  }
});
