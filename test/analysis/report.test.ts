import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeTraces, compareReports } from '../../src/analysis/index.js';
import type { JaegerTrace } from '../../src/model/jaeger-trace.js';
import { drawTraces, ms, snapshot } from '../helpers/draw-trace.js';
import { burst } from './burst-fixture.js';

describe('analyzeTraces on a burst through one processing consumer', () => {
  const report = analyzeTraces(burst());

  test('the headline names processing-service as the bottleneck, with its figures', () => {
    assert.equal(report.headline.kind, 'bottleneck');
    assert.equal(report.headline.service, 'processing-service');
    assert.equal(
      report.headline.text,
      'processing-service is the bottleneck: each order takes 4 ms (service time), but orders arrived every 1 ms, so they queue; the 4th order waited 11 ms in `orders`.',
    );
    assert.deepEqual(report.findings[0], report.headline);
  });

  test('queue wait per hop grows with arrival order by the service time less the arrival gap', () => {
    const orders = report.hops.find((h) => h.topic === 'orders')!;
    assert.deepEqual(
      orders.byArrival.map((p) => [p.rank, p.orderId, p.waitUs]),
      [
        [1, 'o1', ms(2)],
        [2, 'o2', ms(5)],
        [3, 'o3', ms(8)],
        [4, 'o4', ms(11)],
      ],
    );
    assert.equal(orders.growth.slopeUsPerRank, ms(3));
    assert.equal(orders.growth.r, 1);
    assert.equal(orders.growth.growing, true);
    assert.equal(orders.wait.meanUs, ms(6.5));
    assert.equal(orders.wait.p50Us, ms(5));
    assert.equal(orders.wait.p99Us, ms(11));
    const notify = report.hops.find((h) => h.topic === 'processed-orders')!;
    assert.equal(notify.wait.maxUs, 0);
    assert.equal(notify.growth.growing, false);
    const growth = report.findings.find((f) => f.kind === 'queue-growth')!;
    assert.match(growth.text, /each order waited about 3 ms longer than the one before it/);
    assert.match(growth.text, /the 1st waited 2 ms, the 4th 11 ms/);
  });

  test('each consumer as a queue: arrival interval, service time, utilisation, verdict', () => {
    const byService = Object.fromEntries(report.consumers.map((c) => [c.service, c]));
    const p = byService['processing-service']!;
    assert.deepEqual(
      [p.topic, p.messages, p.instances, p.arrivalIntervalUs, p.serviceTime.meanUs, p.utilisation],
      ['orders', 4, 1, ms(1), ms(4), 4],
    );
    assert.equal(p.verdict, 'saturated');
    assert.equal(
      p.reason,
      'service time 4 ms exceeds the 1 ms between arrivals, so messages queue in orders',
    );
    assert.deepEqual(
      [p.busyPeriods.count, p.busyPeriods.saturated, p.busyPeriods.worst!.messages],
      [1, 1, 4],
    );
    const n = byService['notification-service']!;
    assert.equal(n.arrivalIntervalUs, ms(4));
    assert.equal(n.serviceTime.meanUs, ms(1));
    assert.equal(n.utilisation, 0.25);
    assert.equal(n.verdict, 'keeping up');
  });

  test('per service and stage: count and duration percentiles', () => {
    const stage = report.stages.find((s) => s.operation === 'process_order')!;
    assert.equal(stage.service, 'processing-service');
    assert.deepEqual(
      [stage.duration.count, stage.duration.p50Us, stage.duration.p90Us, stage.duration.p99Us],
      [4, ms(4), ms(4), ms(4)],
    );
  });

  test('critical path per trace, and the stage that dominates most often', () => {
    assert.deepEqual(
      report.criticalPath.traces.map((t) => [t.orderId, t.dominant.operation, t.dominant.us]),
      [
        ['o1', 'intensive_prime_computation', ms(3)],
        ['o2', 'queue orders', ms(5)],
        ['o3', 'queue orders', ms(8)],
        ['o4', 'queue orders', ms(11)],
      ],
    );
    const top = report.criticalPath.byStage[0]!;
    assert.deepEqual(
      [top.service, top.operation, top.kind, top.dominatesTraces, top.totalUs],
      ['processing-service', 'queue orders', 'queue', 3, ms(26)],
    );
    // 26 ms of queue over 8 + 11 + 14 + 17 ms of critical path.
    assert.equal(top.share, 0.52);
    const t4 = report.criticalPath.traces[3]!;
    assert.equal(t4.durationUs, ms(17));
    assert.equal(t4.segments[0]!.operationName, 'send orders');
    assert.equal(t4.segments[t4.segments.length - 1]!.operationName, 'json_processing');
  });

  test('resource correlation by operation and by intensity', () => {
    const op = Object.fromEntries(report.resources.byOperation.map((r) => [r.key, r]));
    const heavy = op['intensive_prime_computation']!;
    assert.deepEqual(
      [
        heavy.count,
        heavy.cpuAvg,
        heavy.cpuMax,
        heavy.memoryAvgMb,
        heavy.memoryMaxMb,
        heavy.cpuBoundShare,
      ],
      [4, 165, 196, 120, 130, 0.75],
    );
    assert.equal(heavy.duration.p50Us, ms(3));
    assert.deepEqual(
      report.resources.byIntensity.map((r) => [r.key, r.count, r.duration.p50Us, r.cpuAvg]),
      [
        ['light', 4, ms(1), 20],
        ['heavy', 4, ms(3), 165],
      ],
    );
    const intensity = report.findings.find((f) => f.kind === 'intensity')!;
    assert.equal(
      intensity.text,
      'heavy work takes 3.0× as long as light (p50 3 ms against 1 ms) at 165 % CPU against 20 %.',
    );
    const resources = report.findings.find((f) => f.kind === 'resources')!;
    assert.match(
      resources.text,
      /`intensive_prime_computation` uses the most CPU: 165 % of a core on average, up to 196 % \(more than one core\)/,
    );
  });

  test('a clean burst has no propagation problems and no warnings', () => {
    assert.deepEqual(report.propagation.splitOrders, []);
    assert.deepEqual(report.propagation.missingServices, []);
    assert.equal(report.propagation.orphanSpans, 0);
    assert.equal(report.propagation.orderTraces, 4);
    assert.equal(report.warnings.total, 0);
    assert.equal(report.traces.count, 4);
    assert.equal(report.traces.endToEnd.maxUs, ms(17));
  });

  test('the report is plain JSON: it survives a round trip unchanged', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
  });
});

test('all orders at once: the bottleneck text says so instead of "every 0 s"', () => {
  const traces = drawTraces(`
trace a
POST /order        | api-service        | server   |[]  order.id=a
  send orders      | api-service        | producer |[]
    process orders | processing-service | consumer |  [===]
trace b
POST /order        | api-service        | server   |[]  order.id=b
  send orders      | api-service        | producer |[]
    process orders | processing-service | consumer |      [===]
trace c
POST /order        | api-service        | server   |[]  order.id=c
  send orders      | api-service        | producer |[]
    process orders | processing-service | consumer |          [===]
`);
  const report = analyzeTraces(traces);
  assert.equal(
    report.headline.text,
    'processing-service is the bottleneck: each order takes 4 ms (service time), but all 3 orders arrived at once, so they queue; the 3rd order waited 9 ms in `orders`.',
  );
  assert.equal(report.consumers[0]!.utilisation, null);
  assert.equal(report.consumers[0]!.verdict, 'saturated');
});

test('broken propagation: an order seen as two traces, an orphan span, a missing service', () => {
  const traces = drawTraces(`
trace api-half
POST /order           | api-service        | server   |[=]  order.id=o5
  send orders         | api-service        | producer | []
trace processing-half
process orders        | processing-service | consumer |    [==]
  process_order       | processing-service |          |    [==]  order.id=o5
trace whole
POST /order           | api-service        | server   |[=]  order.id=o6
  send orders         | api-service        | producer | []
    process orders    | processing-service | consumer |    [==]
      process_order   | processing-service |          |    [==]  order.id=o6
      business_logic  | processing-service |          |    []    parent=evicted
`);
  const report = analyzeTraces(traces);
  assert.deepEqual(report.propagation.splitOrders, [
    { orderId: 'o5', traceIDs: ['api-half', 'processing-half'] },
  ]);
  assert.equal(report.propagation.orphanSpans, 1);
  assert.deepEqual(
    report.propagation.missingServices.map((m) => [m.traceID, m.missing]),
    [
      ['api-half', ['processing-service']],
      ['processing-half', ['api-service']],
    ],
  );
  const broken = report.findings.find((f) => f.kind === 'propagation')!;
  assert.equal(
    broken.text,
    'Broken propagation: 1 order(s) appear as several traces (up to 2), so trace context was lost between services: at api-service → processing-service (1 order(s)); 1 span(s) point to a parent that is not in their trace.',
  );
  assert.deepEqual(report.propagation.brokenHops, [
    { from: 'api-service', to: 'processing-service', orders: 1 },
  ]);
  assert.equal(report.warnings.byCode['missing-parent'], 1);
});

test('an order whose context a middle service dropped: the hop named is that service to the next', () => {
  const traces = drawTraces(`
trace first
POST /order             | api-service          | server   |[=]  order.id=o8
  send orders           | api-service          | producer | []
    process orders      | processing-service   | consumer |  [==]
      process_order     | processing-service   |          |  [==]  order.id=o8
        send processed  | processing-service   | producer |    []
trace second
process processed       | notification-service | consumer |      [==]
  notify_order          | notification-service |          |      [==]  order.id=o8
    send notified       | notification-service | producer |        []
      process notified  | analytics-service    | consumer |         [=]
trace whole
POST /order             | api-service          | server   |[=]  order.id=o9
  send orders           | api-service          | producer | []
    process orders      | processing-service   | consumer |  [==]
      process_order     | processing-service   |          |  [==]  order.id=o9
        send processed  | processing-service   | producer |    []
          process processed | notification-service | consumer | [==]
`);
  const report = analyzeTraces(traces);
  assert.deepEqual(report.propagation.brokenHops, [
    { from: 'processing-service', to: 'notification-service', orders: 1 },
  ]);
  const broken = report.findings.find((f) => f.text.startsWith('Broken propagation'))!;
  assert.match(broken.text, /at processing-service → notification-service \(1 order\(s\)\)/);
  assert.equal(broken.figures.brokenHopFrom, 'processing-service');
  assert.equal(broken.figures.brokenHopTo, 'notification-service');
});

test('a service called synchronously after the send is not where the context broke', () => {
  const traces = drawTraces(`
trace first
POST /order               | api-service          | server   |[=]  order.id=o10
  send orders             | api-service          | producer | []
    process orders        | processing-service   | consumer |  [====]
      process_order       | processing-service   |          |  [====]  order.id=o10
        send processed    | processing-service   | producer |   []
        POST              | processing-service   | client   |    [=]
          POST /reserve   | inventory-service    | server   |    [=]
trace second
process processed         | notification-service | consumer |       [==]
  notify_order            | notification-service |          |       [==]  order.id=o10
`);
  const report = analyzeTraces(traces);
  assert.deepEqual(report.propagation.brokenHops, [
    { from: 'processing-service', to: 'notification-service', orders: 1 },
  ]);
});

test('a GET /order poll that reads the order is not another trace of that order', () => {
  const traces = drawTraces(`
trace order
POST /order        | api-service | server   |[==]  order.id=o7
  create_order     | api-service |          |[=]   order.id=o7
trace poll
GET /order/:id     | api-service | server   |    []
  redis get order  | api-service | client   |    []  order.id=o7
`);
  const report = analyzeTraces(traces);
  assert.equal(report.propagation.orderTraces, 1);
  assert.deepEqual(report.propagation.splitOrders, []);
});

test('--service keeps one service’s stages, hops and resources', () => {
  const report = analyzeTraces(burst(), { service: 'notification-service' });
  assert.deepEqual([...new Set(report.stages.map((s) => s.service))], ['notification-service']);
  assert.deepEqual(
    report.hops.map((h) => h.topic),
    ['processed-orders'],
  );
  assert.deepEqual(
    report.resources.byOperation.map((r) => r.key),
    ['json_processing'],
  );
});

test('no traces: a headline that says what to do, not an exception', () => {
  const report = analyzeTraces([]);
  assert.equal(report.headline.kind, 'no-data');
  assert.match(report.headline.text, /send some orders first/);
  assert.equal(report.traces.count, 0);
});

test('analyzeTraces leaves its input as it was', () => {
  const traces = burst();
  const before = snapshot(traces);
  analyzeTraces(traces);
  assert.deepEqual(traces, before);
});

describe('compareReports', () => {
  /** The same four orders with two processing replicas: two at a time. */
  function scaled(): JaegerTrace[] {
    const order = (n: number, send: number, consume: number, replica: number) => `
trace s${n}
POST /order        | api-service          | server   |${' '.repeat(send)}[]  order.id=s${n}
  send orders      | api-service          | producer |${' '.repeat(send)}[]
    process orders | processing-service#${replica} | consumer |${' '.repeat(consume)}[===]
      process_order | processing-service#${replica} |         |${' '.repeat(consume)}[===]  order.id=s${n}
`;
    return drawTraces(
      order(1, 0, 3, 1) + order(2, 1, 3, 2) + order(3, 2, 7, 1) + order(4, 3, 7, 2),
    );
  }

  test('mean wait per hop and p50 per stage, faster or slower, in µs and %', () => {
    const base = analyzeTraces(burst());
    const next = analyzeTraces(scaled());
    const c = compareReports(base, next);
    const orders = c.hops.find((h) => h.topic === 'orders')!;
    assert.deepEqual(
      [orders.baseMeanUs, orders.nextMeanUs, orders.deltaUs, orders.deltaPct, orders.verdict],
      [ms(6.5), ms(2.5), -ms(4), -61.5, 'faster'],
    );
    assert.equal(
      c.headline.text,
      'Mean queue wait in `orders` (processing-service) dropped from 6.5 ms to 2.5 ms (−61.5 %); processing-service process_order on the critical path grew from 0 ms to 4 ms a trace (+4 ms); end to end (p50) 11 ms → 7 ms (−36.4 %).',
    );
    // The headline leads with the largest change on the critical path: the wait in orders.
    const top = c.pathChanges[0]!;
    assert.deepEqual(
      [top.kind, top.operation, top.pathAUs, top.pathBUs, top.tone],
      ['queue', 'queue orders', ms(6.5), ms(2.5), 'better'],
    );
    const stage = c.stages.find((s) => s.operation === 'process_order')!;
    assert.equal(stage.verdict, 'same');
    const gone = c.stages.find((s) => s.operation === 'notify_order')!;
    assert.equal(gone.verdict, 'only in base');
    const consumer = c.consumers.find((x) => x.service === 'processing-service')!;
    assert.deepEqual([consumer.baseUtilisation, consumer.nextUtilisation], [4, 2]);
    assert.equal(next.consumers.find((x) => x.service === 'processing-service')!.instances, 2);
  });

  test('works on reports saved as JSON, and changes neither', () => {
    const base = JSON.parse(JSON.stringify(analyzeTraces(burst()))) as ReturnType<
      typeof analyzeTraces
    >;
    const next = analyzeTraces(scaled());
    const before = [snapshot(base), snapshot(next)];
    const c = compareReports(base, next);
    assert.equal(c.hops.find((h) => h.topic === 'orders')!.verdict, 'faster');
    assert.deepEqual([base, next], before);
  });
});
