import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CLI, runCli, startCli } from '../helpers/cli.js';
import { adapters, gate, kafkaAdapter } from '../helpers/bus.js';
import { waitFor } from '../helpers/wait.js';
import { REDIS_URL } from '../helpers/redis.js';

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
          /^GROUP\s+TOPIC\s+PARTITION\s+COMMITTED\s+END\s+LAG\s+PENDING\s+DEAD$/m,
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

test(
  "tracelab lag --bus kafka without --group, on a broker that cannot list groups, shows the pipeline's own and says so",
  { skip: kafkaAdapter.skip, timeout: 60_000 },
  async () => {
    const f = await kafkaAdapter.open();
    try {
      const topic = f.name('orders');
      for (const v of ['a', 'b', 'c']) await f.bus.publish(topic, { key: 'k', value: v });
      const args = ['lag', '--bus', 'kafka', '--kafka-brokers', f.kafkaBrokers!];
      const env = { ...busEnv, KAFKA_BROKERS: f.kafkaBrokers! };
      const said =
        /the broker cannot list consumer groups; showing the pipeline's own \(processing-service, notification-service, analytics-service, audit-service\); name others with --group/;

      const table = await runCli([...args, '--topic', f.topicPrefix! + topic], { env });
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stderr, said);
      assert.match(
        table.stdout,
        /^processing-service\s+\S+orders\S*\s+\d\s+-\s+\d+\s+\d+\s+-\s+\d+$/m,
      );

      const json = await runCli([...args, '--topic', f.topicPrefix! + topic, '--json'], { env });
      assert.equal(json.code, 0, json.stderr);
      assert.match(json.stderr, said);
      const entries = JSON.parse(json.stdout) as {
        group: string;
        lag: number;
        groupSource: string;
      }[];
      const lagByGroup = new Map<string, number>();
      for (const e of entries) lagByGroup.set(e.group, (lagByGroup.get(e.group) ?? 0) + e.lag);
      // No group consumed: each of the four (audit's too, the fan-out group) has all three
      // messages ahead of it.
      assert.deepEqual(Object.fromEntries(lagByGroup), {
        'processing-service': 3,
        'notification-service': 3,
        'analytics-service': 3,
        'audit-service': 3,
      });
      assert.ok(
        entries.every((e) => e.groupSource === 'pipeline'),
        json.stdout,
      );

      // Named groups are read as named, and nothing is said.
      const named = await runCli(
        [...args, '--topic', f.topicPrefix! + topic, '--group', 'someone-else', '--json'],
        { env },
      );
      assert.equal(named.code, 0, named.stderr);
      assert.doesNotMatch(named.stderr, /cannot list/);
      const namedEntries = JSON.parse(named.stdout) as { group: string; groupSource: string }[];
      assert.ok(
        namedEntries.length > 0 &&
          namedEntries.every((e) => e.group === 'someone-else' && e.groupSource === 'flag'),
      );
    } finally {
      await f.cleanup();
    }
  },
);

/** Why a pseudo-terminal cannot be had here (no `script`, or no pty devices), or false. */
function noPty(): string | false {
  if (!existsSync('/usr/bin/script')) return 'util-linux `script` is not installed';
  const probe = spawnSync('script', ['-qec', 'true', '/dev/null'], { encoding: 'utf8' });
  return probe.status === 0
    ? false
    : `no pseudo-terminal here: ${(probe.stderr || probe.error?.message || '').trim()}`;
}

/** `tracelab lag --watch` every 200 ms on a key prefix of its own (no groups). */
const watchArgs = () => [
  'lag',
  '--redis-url',
  REDIS_URL,
  '--key-prefix',
  `tltest-${randomBytes(4).toString('hex')}:`,
  '--watch',
  '--interval',
  '200ms',
];

test('tracelab lag --watch prints table after table until Ctrl-C, then exits 0', async () => {
  const { child, output } = await startCli(watchArgs(), /(no consumer groups found[\s\S]*){3}/, {
    env: busEnv,
  });
  const times = output().match(/^\d{4}-\d\d-\d\dT\S+Z {2}every 200 ms, Ctrl-C to stop$/gm) ?? [];
  assert.ok(times.length >= 3, output());
  assert.ok(!output().includes('\x1b['), 'no terminal escapes into a pipe');
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  assert.equal(await exited, 0);
});

test('on a terminal tracelab lag --watch redraws in place', { skip: noPty() }, async () => {
  const cmd = [process.execPath, CLI, ...watchArgs()];
  // `script` gives the command a pseudo-terminal, as a user's shell does. It runs the
  // command through $SHELL; `exec` makes that shell become the CLI, so Ctrl-C reaches the CLI
  // alone (dash, hit by it too, would exit 130 whatever the CLI did).
  const child = spawn('script', ['-qfec', `exec ${cmd.join(' ')}`, '/dev/null'], {
    env: { ...process.env, ...busEnv },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  await waitFor(
    'three refreshes',
    () => {
      if (child.exitCode !== null) {
        throw new Error(`script exited with ${child.exitCode}: ${JSON.stringify(out + err)}`);
      }
      return (out.match(/no consumer groups found/g) ?? []).length >= 3;
    },
    30_000,
  ).catch((e: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${e.message}; so far: ${JSON.stringify(out + err)}`);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.stdin.write('\x03');
  const stuck = setTimeout(() => child.kill('SIGKILL'), 10_000);
  assert.equal(await exited, 0, `Ctrl-C ended it: ${JSON.stringify(out + err)}`);
  clearTimeout(stuck);
  // Cursor up over the two lines shown last, clear down, redraw.
  assert.ok(out.includes('\x1b[2A\x1b[0J'), JSON.stringify(out));
});
