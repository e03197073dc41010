import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { getTrace, tag } from '../helpers/jaeger.js';
import { runCli } from '../helpers/cli.js';
import { REDIS_URL } from '../helpers/redis.js';
import { getOrder, startSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

test(
  'a message no consumer can read is dead-lettered with why, never dropped',
  { timeout: 180_000 },
  async (t) => {
    const system = await startSystem(['--max-deliveries', '2']);
    const redis = new Redis(REDIS_URL);
    t.after(async () => {
      redis.disconnect();
      await system.stop();
    });
    // An order the API stored, whose message on the bus is not an order any more.
    const id = randomUUID();
    await redis.hset(`${system.keyPrefix}order:${id}`, {
      item: 'poison',
      quantity: 1,
      created_at: Date.now(),
      trace_id: '',
      api: Date.now(),
    });
    await redis.xadd(
      `${system.keyPrefix}orders`,
      '*',
      'value',
      JSON.stringify({ id, item: 'poison', quantity: -3, createdAtMs: Date.now() }),
      'key',
      id,
    );

    const order = await waitFor(
      'the order dead-lettered',
      async () => {
        const o = await getOrder(system.apiUrl, id);
        return o.status === 'dead_lettered' ? o : undefined;
      },
      30_000,
      200,
    );
    const stage = order.stages.processing;
    assert.equal(stage.status, 'dead_lettered');
    assert.match(stage.reason ?? '', /quantity must be a whole number/);

    const letters = await redis.xrange(`${system.keyPrefix}orders.dlq`, '-', '+');
    assert.equal(letters.length, 1);
    const fields = letters[0]![1];
    const field = (name: string) => fields[fields.indexOf(name) + 1];
    assert.equal(field('key'), id);
    assert.equal(field('h:x-dlq-group'), 'processing-service');
    assert.match(field('h:x-dlq-reason') ?? '', /quantity/);

    // Nothing is left pending or lagging in the group: the message was acknowledged.
    const env = { TRACELAB_BUS: '', REDIS_URL: '', TRACELAB_KEY_PREFIX: '' };
    const common = ['--redis-url', REDIS_URL, '--key-prefix', system.keyPrefix];
    const lag = await runCli(['lag', ...common, '--json'], { env });
    assert.equal(lag.code, 0, lag.stderr);
    const orders = (
      JSON.parse(lag.stdout) as {
        group: string;
        lag: number;
        pending: number;
        deadLetters: number;
      }[]
    ).find((e) => e.group === 'processing-service');
    assert.deepEqual(
      { lag: orders?.lag, pending: orders?.pending, dead: orders?.deadLetters },
      { lag: 0, pending: 0, dead: 1 },
    );

    const list = await runCli(['dlq', ...common], { env });
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^orders\.dlq\s+1$/m);

    // The dead letter carries the trace of the handling that gave up; its span says why.
    const traceId = field('h:traceparent')?.split('-')[1] ?? '';
    assert.match(traceId, /^[0-9a-f]{32}$/);
    const span = await waitFor('the dead-lettering span', async () => {
      const trace = await getTrace(system.queryUrl, traceId);
      return trace?.spans.find((s) => tag(s, 'tracelab.dead_letter') === true);
    });
    assert.equal(span.operationName, 'process orders');
    assert.match(String(tag(span, 'tracelab.dead_letter.reason')), /quantity/);
  },
);
