import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getTrace, parentOf, serviceOf, tag } from '../helpers/jaeger.js';
import type { JaegerSpan, JaegerTrace } from '../helpers/jaeger.js';
import { postOrder, startSystem, waitForCompleted } from '../helpers/system.js';
import type { RunningSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

const brokers = process.env.KAFKA_BROKERS;
const TOPICS = ['orders', 'processed-orders', 'notified-orders'];
const ORDERS = 25;
/** Light work everywhere: the test is about the clocks, not about waiting out severe draws. */
const LIGHT = ['api', 'processing', 'notification', 'analytics'].flatMap((s) => [
  '--intensity',
  `${s}=light`,
]);

/** A trace with its three hops, read back once no more spans arrive. */
async function settledTrace(sys: RunningSystem, traceId: string): Promise<JaegerTrace> {
  let last = -1;
  return waitFor(
    `trace ${traceId} with all its spans`,
    async () => {
      const t = await getTrace(sys.queryUrl, traceId);
      const hops = TOPICS.every((topic) =>
        t?.spans.some((s) => s.operationName === `process ${topic}`),
      );
      const settled = t !== undefined && hops && t.spans.length === last;
      last = t?.spans.length ?? -1;
      return settled ? t : undefined;
    },
    30_000,
    400,
  );
}

const onWholeMs = (us: number): boolean => us % 1000 === 0;

/**
 * Each service is its own process: a producer's `send` span and its consumer's `process` span
 * are stamped by two clocks, so the recorded wait equals the gap the trace shows only if both
 * are anchored alike to the microsecond.
 */
async function checkClocks(sys: RunningSystem): Promise<void> {
  const accepted = await Promise.all(
    Array.from({ length: ORDERS }, (_, i) =>
      postOrder(sys.apiUrl, { item: `c-${i}`, quantity: 1 }),
    ),
  );
  await waitForCompleted(
    sys.apiUrl,
    accepted.map((a) => a.id),
    180_000,
  );
  // Side by side: each trace is settled by two equal reads 400 ms apart, one after another
  // that is most of the test.
  const traces = await Promise.all(accepted.map((a) => settledTrace(sys, a.traceId)));

  const hops: string[] = [];
  for (const trace of traces) {
    for (const topic of TOPICS) {
      const receives = trace.spans.filter((s) => s.operationName === `process ${topic}`);
      assert.ok(receives.length > 0, `process ${topic} in ${trace.traceID}`);
      for (const receive of receives) {
        const send = parentOf(trace, receive);
        assert.equal(send?.operationName, `send ${topic}`, 'a process span is its send’s child');
        assert.notEqual(serviceOf(trace, send), serviceOf(trace, receive), 'two processes');
        const producerEnd = send.startTime + send.duration;
        const gap = receive.startTime - producerEnd;
        const wait = tag(receive, 'tracelab.queue.wait_us');
        assert.equal(typeof wait, 'number', `${receive.operationName} has its wait`);
        // Jaeger's microseconds truncate nanoseconds: a couple of µs apart at most; 100 allowed.
        assert.ok(
          Math.abs((wait as number) - gap) <= 100,
          `${topic} in ${trace.traceID}: recorded wait ${String(wait)} µs, consumer start − producer end ${gap} µs`,
        );
        hops.push(topic);
      }
    }
  }
  assert.ok(hops.length >= ORDERS * TOPICS.length);

  const spans: JaegerSpan[] = traces.flatMap((t) => t.spans);
  const starts = spans.filter((s) => onWholeMs(s.startTime)).length;
  const ends = spans.filter((s) => onWholeMs(s.startTime + s.duration)).length;
  assert.ok(starts < spans.length / 100, `${starts} of ${spans.length} spans start on a whole ms`);
  assert.ok(ends < spans.length / 100, `${ends} of ${spans.length} spans end on a whole ms`);

  // The HTTP instrumentation's spans too: one POST /order server span per order, and
  // inventory's POST /reservations. A precise clock lands on a whole millisecond one time in a
  // thousand, Date.now() every time.
  const servers = spans.filter((s) => tag(s, 'span.kind') === 'server');
  const orderServers = servers.filter((s) => s.operationName === 'POST /order');
  assert.equal(orderServers.length, ORDERS, 'one POST /order server span per order');
  assert.equal(servers.length, ORDERS * 2, 'and one POST /reservations server span');
  const wholeServers = servers.filter((s) => onWholeMs(s.startTime)).length;
  assert.ok(wholeServers <= 1, `${wholeServers} of ${servers.length} server spans on a whole ms`);
}

describe('span clocks across processes', () => {
  test(
    `Redis Streams: ${ORDERS} orders: every recorded queue wait is consumer start − producer end, spans start inside milliseconds`,
    { timeout: 300_000 },
    async () => {
      const sys = await startSystem(LIGHT);
      try {
        await checkClocks(sys);
      } finally {
        await sys.stop();
      }
    },
  );

  test(
    `Kafka: ${ORDERS} orders: every recorded queue wait is consumer start − producer end`,
    {
      timeout: 300_000,
      skip: brokers
        ? false
        : 'KAFKA_BROKERS is not set: start a broker with ../shared/tools/kafka-broker start',
    },
    async () => {
      const sys = await startSystem(['--bus', 'kafka', '--kafka-brokers', brokers!, ...LIGHT]);
      try {
        await checkClocks(sys);
      } finally {
        await sys.stop();
      }
    },
  );
});
