import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeTraces } from '../../src/analysis/index.js';
import type { AnalysisReport } from '../../src/analysis/index.js';
import {
  accuracyOf,
  analyserAnswer,
  benchItem,
  benchLoad,
  MEMORY_GROWTH_MB,
  SCENARIOS,
  scoreCase,
} from '../../src/scenarios/index.js';
import { traceSignals } from '../../src/scenarios/index.js';
import type { ServiceSignals, TraceSignals } from '../../src/scenarios/index.js';
import { drawTraces } from '../helpers/draw-trace.js';

const empty: AnalysisReport = analyzeTraces([]);
const quiet: ServiceSignals = {
  consumerSpans: 4,
  firstDeliveries: 4,
  redeliveries: 0,
  deadLetters: 0,
  errorSpans: 0,
  memoryGrowthMb: 2,
  memorySwingMb: 3,
  memorySpans: 4,
  calls: {
    attempts: 0,
    resends: 0,
    unanswered: 0,
    serverErrors: 0,
    unansweredMeanUs: null,
    answeredP50Us: null,
    breakerOpen: 0,
    consumerUs: 400_000,
    callee: null,
  },
  joins: { replicas: 1, late: 0, finishedBefore: 0, afterUs: null, firstWaitUs: null },
};
/** processing's calls to inventory, four orders' worth, as they went. */
const calling = (c: Partial<ServiceSignals['calls']>): Partial<ServiceSignals> => ({
  calls: {
    ...quiet.calls,
    attempts: 4,
    answeredP50Us: 20_000,
    callee: 'inventory',
    ...c,
  },
});
/** Four orders, each handled once by every service, nothing failing. */
const calm: TraceSignals = {
  orders: 4,
  services: {
    api: { ...quiet, consumerSpans: 0, firstDeliveries: 0 },
    processing: quiet,
    notification: quiet,
    analytics: quiet,
  },
};
const withService = (kind: 'api' | 'processing' | 'notification', s: Partial<ServiceSignals>) => ({
  ...calm,
  services: { ...calm.services, [kind]: { ...calm.services[kind]!, ...s } },
});

const bottleneckReport = (service: string): AnalysisReport => ({
  ...empty,
  bottleneck: {
    service,
    topic: 'orders',
    instances: 1,
    period: {} as NonNullable<AnalysisReport['bottleneck']>['period'],
    busyPeriods: 1,
    saturatedPeriods: 1,
    windowUtilisation: 1.4,
    criticalPath: { dominatesTraces: 4, traces: 4, share: 0.7 },
    alsoSaturated: [],
  },
});

const stage = (service: string, operation: string, kind: 'span' | 'queue', share: number) => ({
  service,
  operation,
  kind,
  dominatesTraces: 4,
  totalUs: 4_000_000,
  share,
});
const pathReport = (service: string, kind: 'span' | 'queue'): AnalysisReport => ({
  ...empty,
  criticalPath: {
    byStage: [stage(service, kind === 'queue' ? 'queue orders' : 'analyze_cpu', kind, 0.6)],
    traces: [],
  },
});
/** A bottleneck in processing, with its queue and its work on the critical paths. */
const saturated = (queue: number, work: number): AnalysisReport => ({
  ...bottleneckReport('processing-service'),
  criticalPath: {
    byStage: [
      stage('processing-service', 'queue orders', 'queue', queue),
      stage('processing-service', 'extreme_cpu_computation', 'span', work),
    ],
    traces: [],
  },
});

describe('the analyser answer', () => {
  test('orders split over traces name the service the context was lost at', () => {
    const report: AnalysisReport = {
      ...bottleneckReport('processing-service'),
      propagation: {
        ...empty.propagation,
        splitOrders: [{ orderId: 'o1', traceIDs: ['a', 'b'] }],
        brokenHops: [{ from: 'notification-service', to: 'analytics-service', orders: 1 }],
      },
    };
    const a = analyserAnswer(report, calm);
    assert.deepEqual([a.service, a.cause], ['notification', 'broken_propagation']);
  });

  test('dead letters name a poison message, before the redeliveries that led to them', () => {
    const a = analyserAnswer(
      empty,
      withService('notification', { deadLetters: 3, errorSpans: 12, redeliveries: 9 }),
    );
    assert.deepEqual([a.service, a.cause], ['notification', 'poison_message']);
  });

  test('redeliveries that end well name a crash loop, even with the dying spans in error', () => {
    const a = analyserAnswer(empty, withService('processing', { redeliveries: 3, errorSpans: 4 }));
    assert.deepEqual([a.service, a.cause], ['processing', 'crash_loop']);
  });

  test('spans in error without redeliveries name a poison message', () => {
    const a = analyserAnswer(empty, withService('notification', { errorSpans: 2 }));
    assert.deepEqual([a.service, a.cause], ['notification', 'poison_message']);
  });

  test('several first deliveries per order name the publisher of the topic as duplicating', () => {
    const a = analyserAnswer(
      bottleneckReport('processing-service'),
      withService('processing', { consumerSpans: 20, firstDeliveries: 20 }),
    );
    assert.deepEqual([a.service, a.cause], ['api', 'duplicate_delivery']);
    const b = analyserAnswer(
      empty,
      withService('notification', { consumerSpans: 8, firstDeliveries: 8 }),
    );
    assert.deepEqual([b.service, b.cause], ['processing', 'duplicate_delivery']);
  });

  test('memory kept per order far beyond what its work moves names a leak; a warm-up or less is not', () => {
    const leak = analyserAnswer(
      empty,
      withService('notification', { memoryGrowthMb: MEMORY_GROWTH_MB + 20 }),
    );
    assert.deepEqual([leak.service, leak.cause], ['notification', 'memory_leak']);
    const warming = analyserAnswer(
      empty,
      withService('notification', { memoryGrowthMb: MEMORY_GROWTH_MB + 60, memorySwingMb: 30 }),
    );
    assert.notEqual(warming.cause, 'memory_leak');
    const noise = analyserAnswer(
      pathReport('processing-service', 'span'),
      withService('notification', { memoryGrowthMb: MEMORY_GROWTH_MB - 1 }),
    );
    assert.equal(noise.cause, 'heavy_workload');
  });

  test("the report's bottleneck: queueing when its queue dwarfs its work, else heavy work", () => {
    const a = analyserAnswer(saturated(0.8, 0.15), calm);
    assert.deepEqual([a.service, a.cause], ['processing', 'head_of_line_blocking']);
    const b = analyserAnswer(saturated(0.5, 0.45), calm);
    assert.deepEqual([b.service, b.cause], ['processing', 'heavy_workload']);
  });

  test("a stage's own time outside its work on the critical paths names a slow downstream", () => {
    const report = saturated(0.33, 0.23);
    const slow: AnalysisReport = {
      ...report,
      criticalPath: {
        ...report.criticalPath,
        byStage: [
          ...report.criticalPath.byStage,
          stage('notification-service', 'notify_order', 'span', 0.21),
          stage('processing-service', 'process_order', 'span', 0.01),
        ],
      },
    };
    const a = analyserAnswer(slow, calm);
    assert.deepEqual([a.service, a.cause], ['notification', 'slow_downstream']);
  });

  test('without a bottleneck, the largest part of the critical path: work or queue', () => {
    const work = analyserAnswer(pathReport('analytics-service', 'span'), calm);
    assert.deepEqual([work.service, work.cause], ['analytics', 'heavy_workload']);
    const queue = analyserAnswer(pathReport('processing-service', 'queue'), calm);
    assert.deepEqual([queue.service, queue.cause], ['processing', 'head_of_line_blocking']);
  });

  test('a database finding names its kind as the cause, in the service that made the calls', () => {
    const finding = (kind: string): AnalysisReport => ({
      ...empty,
      findings: [
        { kind, severity: 'warning', text: '', figures: {}, service: 'inventory-service' },
      ] as unknown as AnalysisReport['findings'],
    });
    const named = [
      ['n-plus-one', 'n_plus_one'],
      ['pool-wait', 'pool_exhausted'],
      ['slow-statement', 'missing_index'],
      ['lock-wait', 'lock_contention'],
    ].map(([kind]) => {
      const a = analyserAnswer(finding(kind!), calm);
      return [kind, a.service, a.cause];
    });
    assert.deepEqual(named, [
      ['n-plus-one', 'inventory', 'n_plus_one'],
      ['pool-wait', 'inventory', 'pool_exhausted'],
      ['slow-statement', 'inventory', 'missing_index'],
      ['lock-wait', 'inventory', 'lock_contention'],
    ]);
  });

  test('an open circuit breaker names the dependency it protects from, before the redeliveries', () => {
    const a = analyserAnswer(
      empty,
      withService('processing', {
        redeliveries: 6,
        errorSpans: 9,
        ...calling({ attempts: 7, serverErrors: 5, breakerOpen: 4 }),
      }),
    );
    assert.deepEqual([a.service, a.cause], ['inventory', 'dependency_down']);
  });

  test('attempts cut off long after an answer would come name a timeout set too long', () => {
    const held = analyserAnswer(
      bottleneckReport('processing-service'),
      withService(
        'processing',
        calling({
          attempts: 5,
          resends: 1,
          unanswered: 1,
          unansweredMeanUs: 3_000_000,
          consumerUs: 4_000_000,
        }),
      ),
    );
    assert.deepEqual([held.service, held.cause], ['processing', 'timeout_too_long']);
    // Cut off after about what an answer takes: the limit is not what holds the queue up.
    const short = analyserAnswer(
      bottleneckReport('processing-service'),
      withService('processing', {
        ...calling({ attempts: 5, resends: 1, unanswered: 1, unansweredMeanUs: 40_000 }),
      }),
    );
    assert.notEqual(short.cause, 'timeout_too_long');
  });

  test('resends multiplying the attempts per order name a retry storm in the caller', () => {
    const storm = analyserAnswer(
      bottleneckReport('processing-service'),
      withService('processing', {
        redeliveries: 1,
        ...calling({
          attempts: 11,
          resends: 7,
          unanswered: 7,
          unansweredMeanUs: 60_000,
          answeredP50Us: 30_000,
        }),
      }),
    );
    assert.deepEqual([storm.service, storm.cause], ['processing', 'retry_storm']);
    // One resend among four orders: retries that did their job.
    const fine = analyserAnswer(
      bottleneckReport('processing-service'),
      withService('processing', calling({ attempts: 5, resends: 1, serverErrors: 1 })),
    );
    assert.notEqual(fine.cause, 'retry_storm');
  });

  test('a replica that joined a saturated consumer after others had finished several names slow autoscaling', () => {
    const joins = {
      replicas: 2,
      late: 1,
      finishedBefore: 6,
      afterUs: 5_200_000,
      firstWaitUs: 4_800_000,
    };
    const a = analyserAnswer(
      saturated(0.8, 0.15),
      withService('processing', { joins, memorySpans: 4 }),
    );
    assert.deepEqual([a.service, a.cause], ['processing', 'slow_autoscaling']);
    // Not saturated: a replica joining is no lesson.
    const b = analyserAnswer(
      pathReport('processing-service', 'span'),
      withService('processing', { joins }),
    );
    assert.notEqual(b.cause, 'slow_autoscaling');
  });

  test('nothing to go on: no answer', () => {
    const a = analyserAnswer(empty, { orders: 0, services: {} });
    assert.deepEqual([a.service, a.cause], [null, null]);
  });
});

describe('bench scoring', () => {
  const slow = SCENARIOS.find((s) => s.id === 'slow-downstream')!;
  test('an answer is scored by the grading: an accepted cause counts', () => {
    const c = scoreCase(slow, 1, {
      service: 'notification',
      cause: 'head_of_line_blocking',
      because: '',
    });
    assert.equal(c.correct, true);
    const wrong = scoreCase(slow, 1, {
      service: 'processing',
      cause: 'slow_downstream',
      because: '',
    });
    assert.equal(wrong.correct, false);
    assert.equal(scoreCase(slow, 1, { service: null, cause: null, because: '' }).correct, false);
    assert.equal(accuracyOf([c, wrong]), 0.5);
    assert.equal(accuracyOf([]), 0);
  });

  test('the seed moves the rate and the item names, never the orders; a burst stays one', () => {
    const load = { orders: 10, ratePerSec: 2 };
    assert.deepEqual(benchLoad(load, 7), benchLoad(load, 7));
    assert.notEqual(benchLoad(load, 1).ratePerSec, benchLoad(load, 2).ratePerSec);
    for (const seed of [1, 2, 3]) {
      const r = benchLoad(load, seed).ratePerSec!;
      assert.ok(r >= 1.6 && r <= 2.4, `rate ${r}`);
      assert.equal(benchLoad(load, seed).orders, 10);
    }
    assert.equal(benchLoad({ orders: 10 }, 1).ratePerSec, undefined);
    assert.notEqual(benchItem(slow, 1), benchItem(slow, 2));
    assert.equal(benchItem(slow, 1), benchItem(slow, 1));
  });
});

describe('trace signals', () => {
  test('counts deliveries, dead letters, errors and memory per service from the tags', () => {
    const signals = traceSignals(
      drawTraces(`
trace t1
POST /order                | api-service          | server   |[==]                       order.id=o1
  process orders           | processing-service   | consumer |    [==]                   order.id=o1 tracelab.delivery_count=1
    work                   | processing-service   |          |    []                     resource.memory.min_mb=100 resource.memory.max_mb=104
  process orders           | processing-service   | consumer |        [==]               order.id=o1 tracelab.delivery_count=2
    work                   | processing-service   |          |        []                 resource.memory.min_mb=160 resource.memory.max_mb=162
  process processed-orders | notification-service | consumer |            [==]           order.id=o1 error=true tracelab.dead_letter=true
`),
    );
    assert.equal(signals.orders, 1);
    const p = signals.services.processing!;
    assert.deepEqual(
      [p.consumerSpans, p.firstDeliveries, p.redeliveries, p.memorySpans],
      [2, 1, 1, 2],
    );
    assert.equal(p.memoryGrowthMb, 58);
    assert.equal(p.memorySwingMb, 3);
    const n = signals.services.notification!;
    assert.deepEqual([n.deadLetters, n.errorSpans], [1, 1]);
    assert.equal(signals.services.api!.memoryGrowthMb, null);
  });

  test("reads a caller's attempts: resends, cut off, server errors, the breaker, who answered", () => {
    const signals = traceSignals(
      drawTraces(`
trace t1
process orders           | processing-service | consumer |[==============================] order.id=o1
  process_order          | processing-service |          |[==============================] tracelab.circuit_breaker.state=closed
    POST                 | processing-service | client   | [=====]                        http.request.method=POST tracelab.circuit_breaker.state=closed
      POST /reservations | inventory-service  | server   | [=====]                        http.response.status_code=200
    POST                 | processing-service | client   |        [====]                  http.request.method=POST http.request.resend_count=1 http.response.status_code=500
      POST /reservations | inventory-service  | server   |        [====]                  http.response.status_code=500
    POST                 | processing-service | client   |              [==]              http.request.method=POST http.request.resend_count=2 http.response.status_code=200
    HEXISTS order        | processing-service | client   |                 []             db.system=redis
trace t2
process orders           | processing-service | consumer |[=]                             order.id=o2
  process_order          | processing-service |          |[=]                             tracelab.circuit_breaker.state=open error=true
`),
    );
    const c = signals.services.processing!.calls;
    assert.deepEqual(
      [c.attempts, c.resends, c.unanswered, c.serverErrors, c.breakerOpen, c.callee],
      [3, 2, 1, 1, 1, 'inventory'],
    );
    assert.equal(c.unansweredMeanUs, 6000);
    assert.equal(c.answeredP50Us, 3000);
    assert.equal(c.consumerUs, 33_000);
  });

  test('a replica whose first message had waited a handling or more, beside the others at work, joined late', () => {
    const signals = traceSignals(
      drawTraces(`
trace t1
process orders | processing-service   | consumer |[=]
process orders | processing-service   | consumer |   [=]                tracelab.queue.wait_us=2000
process orders | processing-service   | consumer |      [=]             tracelab.queue.wait_us=4000
process orders | processing-service   | consumer |         [=]          tracelab.queue.wait_us=6000
process orders | processing-service#2 | consumer |           [=]        tracelab.queue.wait_us=8000
process orders | processing-service   | consumer |            [=]       tracelab.queue.wait_us=9000
process processed-orders | notification-service   | consumer |[=]
process processed-orders | notification-service#2 | consumer | [=]
process processed-orders | notification-service   | consumer |     [=]
process processed-orders | notification-service#2 | consumer |        [=]    tracelab.queue.wait_us=500
process processed-orders | notification-service#3 | consumer |         [=]   tracelab.queue.wait_us=100
process processed-orders | notification-service   | consumer |          [=]
`),
    );
    assert.deepEqual(signals.services.processing!.joins, {
      replicas: 2,
      late: 1,
      finishedBefore: 4,
      afterUs: 11_000,
      firstWaitUs: 8000,
    });
    // Two replicas from the start, and a third whose first message had hardly waited: none late.
    assert.deepEqual(
      [signals.services.notification!.joins.replicas, signals.services.notification!.joins.late],
      [3, 0],
    );
  });

  test("memory is followed per replica: one process's figures after another's are not growth", () => {
    const signals = traceSignals(
      drawTraces(`
trace t1
work | processing-service   | |[]       resource.memory.min_mb=60 resource.memory.max_mb=62
work | processing-service#2 | |  []     resource.memory.min_mb=140 resource.memory.max_mb=142
work | processing-service   | |    []   resource.memory.min_mb=61 resource.memory.max_mb=63
work | processing-service#2 | |      [] resource.memory.min_mb=140 resource.memory.max_mb=143
`),
    );
    assert.equal(signals.services.processing!.memoryGrowthMb, 1);
    assert.equal(signals.services.processing!.memorySpans, 2);
  });
});
