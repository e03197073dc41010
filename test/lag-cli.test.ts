import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { formatLagTable } from '../src/cli/lag.js';
import { runCli } from './helpers/cli.js';
import { adapters, gate } from './helpers/bus.js';
import { waitFor } from './helpers/wait.js';
import { REDIS_URL } from './helpers/redis.js';

const busEnv = { TRACELAB_BUS: '', REDIS_URL: '', TRACELAB_KEY_PREFIX: '' };

for (const adapter of adapters) {
  test(
    `tracelab lag on ${adapter.system}: a table and --json while a consumer is held back`,
    { skip: adapter.skip, timeout: 60_000 },
    async () => {
      const f = await adapter.open();
      const topic = f.name('orders');
      const group = f.name('processing-service');
      const hold = gate();
      try {
        const sub = await f.bus.consume(topic, { group, consumer: 'c1' }, () => hold.promise);
        for (const v of ['a', 'b', 'c']) await f.bus.publish(topic, { key: 'k', value: v });
        await waitFor('lag', async () => {
          const lag = await f.bus.lag({ groups: [group], topics: [topic] });
          return lag.reduce((n, e) => n + e.lag, 0) >= 2;
        });
        const prefix = f.keyPrefix;
        const args =
          adapter.system === 'redis'
            ? ['lag', '--redis-url', REDIS_URL, '--key-prefix', prefix!, '--topic', topic]
            : ['lag', '--bus', 'kafka', '--group', group, '--topic', f.topicPrefix! + topic];
        const env =
          adapter.system === 'kafka' ? { ...busEnv, KAFKA_BROKERS: f.kafkaBrokers! } : busEnv;
        if (adapter.system === 'kafka') args.push('--kafka-brokers', f.kafkaBrokers!);

        const table = await runCli(args, { env });
        assert.equal(table.code, 0, table.stderr);
        assert.match(
          table.stdout,
          /^GROUP\s+TOPIC\s+PARTITION\s+COMMITTED\s+END\s+LAG\s+PENDING$/m,
        );
        const rows = table.stdout.split('\n').filter((l) => l.startsWith(group));
        assert.ok(rows.length >= 1, table.stdout);
        assert.ok(rows.every((r) => r.includes(topic)));

        const json = await runCli([...args, '--json'], { env });
        assert.equal(json.code, 0, json.stderr);
        const entries = JSON.parse(json.stdout) as { group: string; topic: string; lag: number }[];
        assert.ok(entries.every((e) => e.group === group && e.topic.endsWith(topic)));
        assert.ok(entries.reduce((n, e) => n + e.lag, 0) >= 2, json.stdout);
        hold.open();
        await sub.stop();
      } finally {
        hold.open();
        await f.cleanup();
      }
    },
  );
}

test('tracelab lag: unreachable Redis gives a clear message, exit 2, no stack trace', async () => {
  const r = await runCli(['lag', '--redis-url', 'redis://127.0.0.1:1'], { env: busEnv });
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /^tracelab: cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(connection refused\): start redis-server, set REDIS_URL, or use Docker/,
  );
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.equal(r.stdout, '');
});

test('tracelab lag: a bad broker list or bus name is refused with a reason', async () => {
  const bad = await runCli(['lag', '--bus', 'kafka', '--kafka-brokers', 'localhost'], {
    env: { ...busEnv, KAFKA_BROKERS: '' },
  });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /bad Kafka broker "localhost": expected host:port/);
  const none = await runCli(['lag', '--bus', 'kafka'], { env: { ...busEnv, KAFKA_BROKERS: '' } });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no Kafka brokers given: set KAFKA_BROKERS/);
  const wrong = await runCli(['lag', '--bus', 'rabbit'], { env: busEnv });
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /--bus: expected one of redis, kafka/);
});

test('tracelab lag: no groups yet is said plainly', async () => {
  const prefix = `tracelab-test-${randomBytes(4).toString('hex')}:`;
  const r = await runCli(['lag', '--redis-url', REDIS_URL, '--key-prefix', prefix], {
    env: busEnv,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'no consumer groups found\n');
});

test('the lag table lines up its columns', () => {
  const text = formatLagTable([
    {
      group: 'processing-service',
      topic: 'orders',
      committed: '5-0',
      end: '9-0',
      lag: 4,
      pending: 1,
    },
    { group: 'g', topic: 'orders', partition: 3, end: '12', lag: 12 },
  ]);
  assert.equal(
    text,
    [
      'GROUP               TOPIC   PARTITION  COMMITTED  END  LAG  PENDING',
      'processing-service  orders  -          5-0        9-0    4        1',
      'g                   orders  3          -          12    12        -',
      '',
    ].join('\n'),
  );
});
