import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { getTrace, hasAllParents, serviceOf, tag } from '../helpers/jaeger.js';
import { ON_FREE_PORTS, postOrder, startSystem, waitForCompleted } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

const brokers = process.env.KAFKA_BROKERS;
const GROUPS = ['processing-service', 'notification-service', 'analytics-service'];
const TOPICS = ['orders', 'processed-orders', 'notified-orders'];

describe(
  'the pipeline over Kafka',
  {
    skip: brokers
      ? false
      : 'KAFKA_BROKERS is not set: start a broker with ../shared/tools/kafka-broker start',
  },
  () => {
    test('20 orders give 20 complete four-service traces with Kafka messaging spans, nothing uncommitted', async () => {
      const sys = await startSystem(['--bus', 'kafka', '--kafka-brokers', brokers!]);
      try {
        assert.match(sys.output(), /Bus +Kafka at /);
        const accepted = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            postOrder(sys.apiUrl, { item: `k-${i}`, quantity: 1 }),
          ),
        );
        for (const a of accepted) {
          const trace = await waitFor(
            `trace ${a.traceId}`,
            async () => {
              const t = await getTrace(sys.queryUrl, a.traceId);
              return t?.spans.some((s) => s.operationName === 'data_analysis') &&
                t.spans.some((s) => s.operationName === 'process notified-orders') &&
                hasAllParents(t)
                ? t
                : undefined;
            },
            30_000,
            250,
          );
          const services = new Set(trace.spans.map((s) => serviceOf(trace, s)));
          // The four on the bus, and inventory, which processing calls over HTTP.
          assert.equal(services.size, 5);
          for (const topic of TOPICS) {
            for (const name of [`send ${topic}`, `process ${topic}`]) {
              const span = trace.spans.find((s) => s.operationName === name);
              assert.ok(span, `${name} in trace ${a.traceId}`);
              assert.equal(tag(span, 'messaging.system'), 'kafka');
              assert.equal(tag(span, 'messaging.destination.name'), topic);
              assert.ok(
                tag(span, 'messaging.destination.partition.id') !== undefined,
                `${name} has a partition`,
              );
              assert.ok(tag(span, 'messaging.kafka.offset') !== undefined, `${name} has an offset`);
            }
          }
        }
        await waitForCompleted(
          sys.apiUrl,
          accepted.map((a) => a.id),
        );
        // Nothing uncommitted: `tracelab lag` reads committed and end offsets per partition.
        const lag = await waitFor(
          'lag 0 in every group',
          async () => {
            const r = await runCli([
              'lag',
              '--bus',
              'kafka',
              '--kafka-brokers',
              brokers!,
              '--json',
              ...GROUPS.flatMap((g) => ['--group', g]),
            ]);
            assert.equal(r.code, 0, r.stderr);
            const entries = JSON.parse(r.stdout) as Array<{
              group: string;
              topic: string;
              lag: number;
            }>;
            return GROUPS.every((g) => entries.some((e) => e.group === g)) &&
              entries.every((e) => e.lag === 0)
              ? entries
              : undefined;
          },
          30_000,
          250,
        );
        assert.deepEqual([...new Set(lag.map((e) => `${e.group} ${e.topic}`))].sort(), [
          'analytics-service notified-orders',
          'notification-service processed-orders',
          'processing-service orders',
        ]);
      } finally {
        await sys.stop();
      }
    });
  },
);

describe('tracelab up --bus kafka with no KAFKA_BROKERS', () => {
  const hasKcat = spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;
  const env = { KAFKA_BROKERS: '' };

  test(
    'starts a private test broker and says it keeps nothing',
    { skip: hasKcat ? false : 'kcat is not installed (apt-get install -y kcat)' },
    async () => {
      const prev = process.env.KAFKA_BROKERS;
      delete process.env.KAFKA_BROKERS;
      try {
        const sys = await startSystem(['--bus', 'kafka']);
        try {
          assert.match(
            sys.output(),
            /Kafka test broker at 127\.0\.0\.1:\d+ \(in memory: keeps nothing; a real Kafka is one KAFKA_BROKERS= away/,
          );
          const a = await postOrder(sys.apiUrl, { item: 'private-broker', quantity: 1 });
          await waitForCompleted(sys.apiUrl, [a.id]);
        } finally {
          await sys.stop();
        }
      } finally {
        if (prev !== undefined) process.env.KAFKA_BROKERS = prev;
      }
    },
  );

  test('without kcat it says how to get a broker', async () => {
    // A key prefix of its own: up leases its prefix before it looks for a broker.
    const keyPrefix = `tltest-nokcat-${process.pid}:`;
    const r = await runCli(['up', '--bus', 'kafka', ...ON_FREE_PORTS, '--key-prefix', keyPrefix], {
      env: { ...env, PATH: '/nonexistent', REDIS_URL: 'redis://127.0.0.1:6379' },
    });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /kcat/);
    assert.match(r.stderr, /KAFKA_BROKERS/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
