import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeTraces } from '../../src/analysis/index.js';
import type { AnalysisReport, HopStats } from '../../src/analysis/index.js';
import type { JaegerTrace } from '../../src/model/jaeger-trace.js';
import { drawTraces, ms } from '../helpers/draw-trace.js';

/**
 * Queues drawn from a list of messages, one trace each (1 column = 1 ms): the API publishes
 * (its `send` span ends at `publish`), a consumer handles it from `start` to `end`, then
 * optionally publishes on to a second stage. Bus positions go on the send span as the real
 * traced bus writes them: `messaging.message.id`, and for Kafka partition and offset.
 */
interface Msg {
  readonly publish: number;
  readonly start: number;
  readonly end: number;
  readonly id?: string;
  readonly partition?: number;
  readonly offset?: number | string;
  readonly replica?: number;
  readonly next?: {
    readonly publish: number;
    readonly start: number;
    readonly end: number;
    readonly id: string;
  };
}

const pad = (n: number) => ' '.repeat(n);
const bar = (from: number, to: number) => `${pad(from)}[${'='.repeat(Math.max(0, to - from - 1))}]`;

function place(m: { id?: string; partition?: number; offset?: number | string }): string {
  return [
    m.id !== undefined ? `messaging.message.id=${m.id}` : '',
    m.partition !== undefined ? `messaging.destination.partition.id=${m.partition}` : '',
    m.offset !== undefined ? `messaging.kafka.offset=${m.offset}` : '',
  ].join(' ');
}

function traces(
  topic: string,
  consumer: string,
  msgs: readonly Msg[],
  second = { topic: 'notified-orders', consumer: 'analytics-service' },
): JaegerTrace[] {
  return drawTraces(
    msgs
      .map((m, i) => {
        const who = m.replica ? `${consumer}#${m.replica}` : consumer;
        const next = m.next
          ? `
      send ${second.topic} | ${consumer} | producer |${bar(m.next.publish - 1, m.next.publish)}  messaging.message.id=${m.next.id}
        process ${second.topic} | ${second.consumer} | consumer |${bar(m.next.start, m.next.end)}`
          : '';
        return `
trace m${i}
POST /order | api-service | server |${bar(m.publish - 1, m.publish)}  order.id=o${i}
  send ${topic} | api-service | producer |${bar(m.publish - 1, m.publish)}  ${place(m)}
    process ${topic} | ${who} | consumer |${bar(m.start, m.end)}${next}`;
      })
      .join('\n'),
  );
}

/**
 * Handles messages first come, first served on `replicas` consumers taking `serviceMs` each:
 * `publish` in the bus's order, and the start and end each then gets.
 */
function fifo(
  publish: readonly number[],
  serviceMs: number | readonly number[],
  replicas = 1,
): Array<{ publish: number; start: number; end: number; replica?: number }> {
  const free = new Array<number>(replicas).fill(0);
  return publish.map((p, i) => {
    const s = typeof serviceMs === 'number' ? serviceMs : serviceMs[i]!;
    let k = 0;
    for (let j = 1; j < replicas; j++) if (free[j]! < free[k]!) k = j;
    const start = Math.max(p, free[k]!);
    free[k] = start + s;
    return { publish: p, start, end: start + s, ...(replicas > 1 ? { replica: k + 1 } : {}) };
  });
}

const streamId = (ms0: number, seq: number) => `${1_700_000_000_000 + ms0}-${seq}`;
const hop = (r: AnalysisReport, topic: string): HopStats => r.hops.find((h) => h.topic === topic)!;
const bottleneckLines = (r: AnalysisReport) => r.findings.filter((f) => f.kind === 'bottleneck');

/** Never decreasing, as a FIFO queue's waits are in the order it was filled. */
function assertNonDecreasing(values: readonly number[], what: string): void {
  for (let i = 1; i < values.length; i++) {
    assert.ok(values[i]! >= values[i - 1]!, `${what}: ${values.join(', ')}`);
  }
}

describe('ranks come from the bus, not from span times', () => {
  test('stream entry ids: ties in one ms, and ids out of start order, compared as two integers', () => {
    // m1 published first by its span, but its entry id is later than m2's and m0's: the send
    // span ends when the client hears back, the entry id is when Redis took it. "-10" after
    // "-9" and "-2": compared as text or as one float it would come first.
    const ids = ['0-9', '0-10', '0-2', '1-0'];
    const publish = [2, 1, 2, 2];
    const byBus = [2, 0, 1, 3];
    const handled = fifo(
      byBus.map((i) => publish[i]!),
      4,
    );
    const msgs = publish.map((p, i) => {
      const [ms0, seq] = ids[i]!.split('-').map(Number) as [number, number];
      const h = handled[byBus.indexOf(i)]!;
      return { publish: p, start: h.start, end: h.end, id: streamId(ms0, seq) };
    });
    const report = analyzeTraces(traces('orders', 'processing-service', msgs));
    const orders = hop(report, 'orders');
    assert.equal(orders.orderedBy, 'bus');
    assert.deepEqual(
      orders.byArrival.map((p) => [p.rank, p.orderId, p.waitUs]),
      [
        [1, 'o2', ms(0)],
        [2, 'o0', ms(4)],
        [3, 'o1', ms(9)],
        [4, 'o3', ms(12)],
      ],
    );
    assertNonDecreasing(
      orders.byArrival.map((p) => p.waitUs),
      'waits by stream order',
    );
    assert.equal(orders.growth.longest!.rank, 4);
    assert.equal(report.warnings.total, 0);
  });

  test('a FIFO burst published in one millisecond, traces read in any order: waits by stream order never decrease', () => {
    const handled = fifo(new Array<number>(8).fill(1), 3);
    // Read in a shuffled order: what a query API returns is not the stream's order.
    const shuffled = [5, 2, 7, 0, 3, 6, 1, 4];
    const msgs = shuffled.map((k) => ({ ...handled[k]!, id: streamId(0, k) }));
    const report = analyzeTraces(traces('orders', 'processing-service', msgs));
    const orders = hop(report, 'orders');
    assert.deepEqual(
      orders.byArrival.map((p) => p.orderId),
      shuffled.map((_, i) => `o${shuffled.indexOf(i)}`),
    );
    assertNonDecreasing(
      orders.byArrival.map((p) => p.waitUs),
      'waits by stream order',
    );
    assert.deepEqual(
      orders.byArrival.map((p) => p.waitUs),
      [0, 3, 6, 9, 12, 15, 18, 21].map(ms),
    );
    assert.equal(report.headline.kind, 'bottleneck');
    assert.match(report.headline.text, /the 8th order waited 21 ms in `orders`/);
  });

  test('Kafka: ranked by offset within each partition (as integers), growth fitted per partition', () => {
    // Two partitions, one replica each; offsets 9, 10, 11 (as text "10" < "9").
    const p0 = fifo([1, 1, 1], 4);
    const p1 = fifo([2, 2, 2], 5);
    const msgs = [
      ...p1.map((m, k) => ({ ...m, partition: 1, offset: 3 + k, replica: 2 })),
      ...p0.map((m, k) => ({ ...m, partition: 0, offset: 9 + k, replica: 1 })),
    ].reverse();
    const report = analyzeTraces(traces('orders', 'processing-service', msgs));
    const orders = hop(report, 'orders');
    assert.equal(orders.partitions, 2);
    assert.deepEqual(
      orders.byArrival.map((p) => [p.partition, p.rank, p.waitUs]),
      [
        ['0', 1, 0],
        ['0', 2, ms(4)],
        ['0', 3, ms(8)],
        ['1', 1, 0],
        ['1', 2, ms(5)],
        ['1', 3, ms(10)],
      ],
    );
    // One slope within the partitions: (4 + 5) / 2 ms per place.
    assert.equal(orders.growth.slopeUsPerRank, ms(4.5));
    assert.ok(orders.growth.r > 0.99, String(orders.growth.r));
    assert.equal(report.bottleneck?.service, 'processing-service');
    assert.match(report.headline.text, /the 3rd order in partition 1 waited 10 ms in `orders`/);
  });

  test('Kafka: the message id `partition:offset` alone orders too', () => {
    const handled = fifo([1, 1, 1], 3);
    const msgs = [
      { ...handled[2]!, id: '0:10' },
      { ...handled[0]!, id: '0:8' },
      { ...handled[1]!, id: '0:9' },
    ];
    const orders = hop(analyzeTraces(traces('orders', 'processing-service', msgs)), 'orders');
    assert.equal(orders.orderedBy, 'bus');
    assert.deepEqual(
      orders.byArrival.map((p) => [p.rank, p.orderId, p.waitUs]),
      [
        [1, 'o1', 0],
        [2, 'o2', ms(3)],
        [3, 'o0', ms(6)],
      ],
    );
  });

  test('Kafka offsets past 2^53 keep their order', () => {
    const handled = fifo([1, 1], 2);
    const msgs = [
      { ...handled[1]!, partition: 0, offset: '9007199254740993' },
      { ...handled[0]!, partition: 0, offset: '9007199254740992' },
    ];
    const drawn = traces('orders', 'processing-service', msgs);
    // As a string, the way an exact int64 reads back: as a number it would already be rounded.
    for (const t of drawn) {
      for (const s of t.spans) {
        for (const tag of s.tags) {
          if (tag.key === 'messaging.kafka.offset') {
            (tag as { value: unknown }).value = msgs[Number(t.traceID.slice(1))]!.offset;
          }
        }
      }
    }
    const orders = hop(analyzeTraces(drawn), 'orders');
    assert.deepEqual(
      orders.byArrival.map((p) => [p.rank, p.orderId]),
      [
        [1, 'o1'],
        [2, 'o0'],
      ],
    );
  });

  test('spans without bus positions fall back to publish time, with a warning, not a throw', () => {
    const report = analyzeTraces(traces('orders', 'processing-service', fifo([1, 2, 3], 4)));
    const orders = hop(report, 'orders');
    assert.equal(orders.orderedBy, 'publish-time');
    assert.deepEqual(
      orders.byArrival.map((p) => p.orderId),
      ['o0', 'o1', 'o2'],
    );
    assert.equal(report.warnings.byCode['no-bus-order'], 1);
    assert.match(report.warnings.samples[0]!.message, /3 of 3 messages in `orders`/);
  });
});

describe('busy periods: the verdict inside bursts, not averaged over the window', () => {
  const withIds = (ms0: number, list: ReturnType<typeof fifo>) =>
    list.map((m, i) => ({ ...m, id: streamId(ms0, i) }));

  test('two bursts further apart than their drain time still name the bottleneck', () => {
    const publish = [1, 1, 2, 2, 3, 301, 301, 302, 302, 303];
    const msgs = withIds(0, fifo(publish, 10));
    const report = analyzeTraces(traces('processed-orders', 'notification-service', msgs));
    const c = report.consumers[0]!;
    // Over the window: 10 ms of work every 33.6 ms, "keeping up" if judged there.
    assert.equal(c.utilisation, 0.298);
    assert.deepEqual(
      [c.busyPeriods.count, c.busyPeriods.overlapping, c.busyPeriods.saturated],
      [2, 2, 2],
    );
    assert.equal(c.verdict, 'saturated');
    const worst = c.busyPeriods.worst!;
    assert.deepEqual(
      [worst.messages, worst.longest.position, worst.longest.waitUs, worst.serviceTimeMeanUs],
      [5, 5, ms(38), ms(10)],
    );
    // Five messages in 2 ms, at the window's mean rate of one per 33.6 ms: not chance.
    assert.ok(worst.chance < 0.01, String(worst.chance));
    assert.equal(report.bottleneck?.service, 'notification-service');
    assert.equal(report.bottleneck?.topic, 'processed-orders');
    assert.deepEqual(bottleneckLines(report), [report.headline]);
    assert.match(
      report.headline.text,
      /^notification-service is the bottleneck: in its busiest stretch \(5 orders from \S+ to \S+ UTC, 2 busy periods in all\) each order takes 10 ms \(service time\), but orders arrived every 500 µs, so they queue; the 5th order waited 38 ms in `processed-orders`\. Over the whole window its utilisation is 0\.30: the quiet time between bursts averages the queue away\.$/,
    );
    // The critical path agrees: waiting in processed-orders is its largest part.
    const path = report.findings.find((f) => f.kind === 'critical-path')!;
    assert.match(path.text, /waiting in `processed-orders` for notification-service/);
    assert.doesNotMatch(path.text, /bottleneck/);
  });

  test('one steady overloaded stream is one busy period, and saturated', () => {
    const publish = Array.from({ length: 12 }, (_, i) => 1 + i * 10);
    const report = analyzeTraces(
      traces('orders', 'processing-service', withIds(0, fifo(publish, 14))),
    );
    const c = report.consumers[0]!;
    assert.deepEqual([c.busyPeriods.count, c.busyPeriods.worst!.messages], [1, 12]);
    assert.equal(c.busyPeriods.worst!.utilisation, 1.4);
    assert.equal(report.bottleneck?.service, 'processing-service');
    assert.match(
      report.headline.text,
      /^processing-service is the bottleneck: each order takes 14 ms \(service time\), but orders arrived every 10 ms, so they queue; the 12th order waited 44 ms in `orders`\.$/,
    );
  });

  test('a steady stream the consumer keeps up with names no bottleneck', () => {
    const publish = Array.from({ length: 10 }, (_, i) => 1 + i * 10);
    const report = analyzeTraces(
      traces('orders', 'processing-service', withIds(0, fifo(publish, 6))),
    );
    const c = report.consumers[0]!;
    assert.equal(c.verdict, 'keeping up');
    assert.equal(c.busyPeriods.overlapping, 0, 'no message ever waited for another');
    assert.equal(report.bottleneck, null);
    assert.deepEqual(bottleneckLines(report), []);
    assert.equal(report.findings.filter((f) => f.kind === 'no-bottleneck').length, 1);
  });

  test('a random stream at half the consumer’s capacity clusters by chance, and names no bottleneck', () => {
    // Poisson arrivals (seeded), 4 ms of work each, a message every 8 ms on average: runs of
    // messages close together happen, and wait behind one another, as chance makes them.
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    let t = 1;
    const publish = Array.from(
      { length: 300 },
      () => (t += Math.round(-Math.log(1 - random()) * 8)),
    );
    const report = analyzeTraces(
      traces('orders', 'processing-service', withIds(0, fifo(publish, 4))),
    );
    const c = report.consumers[0]!;
    assert.ok(c.utilisation! < 0.6, String(c.utilisation));
    assert.ok(c.busyPeriods.overlapping > 10, 'messages did wait behind one another');
    assert.ok(c.busyPeriods.worst!.wait.maxUs >= ms(8), 'some waited two service times');
    assert.equal(c.busyPeriods.saturated, 0, JSON.stringify(c.busyPeriods.worst));
    assert.equal(report.bottleneck, null);
  });

  test('one slow message holding up the next is an overlap, not a bottleneck', () => {
    const publish = Array.from({ length: 10 }, (_, i) => 1 + i * 10);
    const service = publish.map((_, i) => (i === 4 ? 18 : 6));
    const report = analyzeTraces(
      traces('orders', 'processing-service', withIds(0, fifo(publish, service))),
    );
    const c = report.consumers[0]!;
    assert.equal(c.busyPeriods.overlapping, 1);
    assert.equal(c.busyPeriods.worst!.wait.maxUs, ms(8));
    assert.equal(c.verdict, 'keeping up');
    assert.equal(report.bottleneck, null);
  });

  test('replicas: a burst queues on both; a stream within their capacity does not', () => {
    const burst = analyzeTraces(
      traces('orders', 'processing-service', withIds(0, fifo([1, 1, 1, 1, 1, 1], 4, 2))),
    );
    assert.equal(burst.bottleneck?.service, 'processing-service');
    assert.equal(burst.bottleneck?.instances, 2);
    assert.match(burst.headline.text, /each order takes 4 ms on each of its 2 replicas/);
    assert.deepEqual(
      hop(burst, 'orders').byArrival.map((p) => p.waitUs),
      [0, 0, 4, 4, 8, 8].map(ms),
    );
    // Every 3 ms, 4 ms each, two replicas: busy all along, and never behind.
    const publish = Array.from({ length: 12 }, (_, i) => 1 + i * 3);
    const stream = analyzeTraces(
      traces('orders', 'processing-service', withIds(0, fifo(publish, 4, 2))),
    );
    const c = stream.consumers[0]!;
    assert.equal(c.instances, 2);
    assert.equal(c.busyPeriods.worst!.messages, 12);
    assert.ok(c.busyPeriods.worst!.utilisation! < 1);
    assert.equal(stream.bottleneck, null);
  });

  test('several stages queueing: one bottleneck, the one the critical path points at', () => {
    // Six orders at once; processing takes 10 ms each, analytics 14 ms each after it.
    const first = fifo([1, 1, 1, 1, 1, 1], 10);
    const second = fifo(
      first.map((m) => m.end),
      14,
    );
    const msgs = first.map((m, i) => ({
      ...m,
      id: streamId(0, i),
      next: { ...second[i]!, id: streamId(100, i) },
    }));
    const report = analyzeTraces(traces('orders', 'processing-service', msgs));
    const saturated = report.consumers.filter((c) => c.verdict === 'saturated');
    assert.deepEqual(saturated.map((c) => c.service).sort(), [
      'analytics-service',
      'processing-service',
    ]);
    assert.equal(report.bottleneck?.service, 'processing-service');
    assert.deepEqual(report.bottleneck?.alsoSaturated, [
      { service: 'analytics-service', topic: 'notified-orders' },
    ]);
    assert.deepEqual(bottleneckLines(report), [report.headline]);
    assert.equal(report.criticalPath.byStage[0]!.operation, 'queue orders');
    const also = report.findings.find((f) => f.service === 'analytics-service')!;
    assert.match(also.text, /^Orders also queue in `notified-orders` for analytics-service/);
    assert.doesNotMatch(also.text, /analytics-service is the bottleneck/);
  });

  test('the worked example of docs/analysis.md', () => {
    // Times shifted by 1 ms: a drawn send span needs a column before its end.
    const rows: Array<[string, number, number, number]> = [
      ['0-0', 0, 0, 10],
      ['1-0', 1, 10, 20],
      ['1-1', 1, 20, 30],
      ['3-0', 3, 30, 40],
      ['150-0', 150, 150, 160],
      ['300-0', 300, 300, 310],
      ['301-0', 301, 310, 320],
      ['302-0', 302, 320, 330],
    ];
    const msgs = rows.map(([id, publish, start, end]) => {
      const [ms0, seq] = id.split('-').map(Number) as [number, number];
      return { publish: publish + 1, start: start + 1, end: end + 1, id: streamId(ms0, seq) };
    });
    const report = analyzeTraces(traces('processed-orders', 'notification-service', msgs));
    assert.deepEqual(
      hop(report, 'processed-orders').byArrival.map((p) => p.waitUs),
      [0, 9, 19, 27, 0, 0, 9, 18].map(ms),
    );
    const c = report.consumers[0]!;
    assert.equal(c.utilisation, 0.232);
    assert.deepEqual([c.busyPeriods.count, c.busyPeriods.saturated], [3, 2]);
    const w = c.busyPeriods.worst!;
    assert.deepEqual([w.messages, w.utilisation, w.growth.r >= 0.99], [4, 10, true]);
    assert.equal(w.chance, 0.000426);
    assert.match(
      report.headline.text,
      /^notification-service is the bottleneck: in its busiest stretch \(4 orders from \S+ to \S+ UTC, 3 busy periods in all\) each order takes 10 ms \(service time\), but orders arrived every 1 ms, so they queue; the 4th order waited 27 ms in `processed-orders`\. Over the whole window its utilisation is 0\.23: the quiet time between bursts averages the queue away\.$/,
    );
  });

  test('a queue that never waits: every message found it empty', () => {
    const report = analyzeTraces(
      traces('orders', 'processing-service', withIds(0, fifo([1, 20, 40, 60], 5))),
    );
    const c = report.consumers[0]!;
    assert.deepEqual([c.busyPeriods.count, c.busyPeriods.overlapping], [4, 0]);
    assert.equal(c.busyPeriods.worst, null);
    assert.equal(c.verdict, 'keeping up');
    assert.match(c.reason, /every message found orders empty/);
  });
});
