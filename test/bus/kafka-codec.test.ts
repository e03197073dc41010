import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import {
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
} from '@opentelemetry/api';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { busConfigFrom, busOptions, createBus } from '../../src/bus/index.js';
import { connectFailureReason, isMissingControllerError } from '../../src/bus/errors.js';
import { fromKafkaHeaders, parseKafkaBrokers, toKafkaHeaders } from '../../src/bus/kafka-codec.js';
import { redeliveryDelayMs } from '../../src/bus/redelivery.js';
import { parseMockBrokers } from '../../src/bus/kafka-test-broker.js';
import { parseCommandLine } from '../../src/config/index.js';

test('trace context and baggage survive Kafka headers (strings out, Buffers in)', () => {
  const w3c = new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  });
  const spanContext = {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
  };
  let ctx = trace.setSpanContext(ROOT_CONTEXT, spanContext);
  ctx = propagation.setBaggage(
    ctx,
    propagation.createBaggage({ 'tracelab.intensity': { value: 'heavy' } }),
  );
  const carrier: Record<string, string> = {};
  w3c.inject(ctx, carrier, defaultTextMapSetter);

  const sent = toKafkaHeaders(carrier);
  // What kafkajs hands a consumer: Buffers.
  const arrived = Object.fromEntries(Object.entries(sent).map(([k, v]) => [k, Buffer.from(v)]));
  const headers = fromKafkaHeaders(arrived);
  assert.deepEqual(headers, carrier);
  const back = w3c.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  assert.equal(trace.getSpanContext(back)?.traceId, spanContext.traceId);
  assert.equal(trace.getSpanContext(back)?.spanId, spanContext.spanId);
  assert.equal(propagation.getBaggage(back)?.getEntry('tracelab.intensity')?.value, 'heavy');
});

test('Kafka headers: missing, undefined and repeated values', () => {
  assert.deepEqual(toKafkaHeaders(undefined), {});
  assert.deepEqual(toKafkaHeaders({ a: 'x', b: undefined as unknown as string }), { a: 'x' });
  assert.deepEqual(fromKafkaHeaders(undefined), {});
  assert.deepEqual(
    fromKafkaHeaders({
      a: undefined,
      b: 'str',
      c: [Buffer.from('1'), Buffer.from('2')],
      d: Buffer.from('é'),
    }),
    { b: 'str', c: '2', d: 'é' },
  );
});

test('broker lists: host:port items, comma-separated or repeated, clear errors otherwise', () => {
  assert.deepEqual(parseKafkaBrokers('127.0.0.1:9092, kafka:29092'), [
    '127.0.0.1:9092',
    'kafka:29092',
  ]);
  assert.deepEqual(parseKafkaBrokers(['a:1', 'b:2,[::1]:3']), ['a:1', 'b:2', '[::1]:3']);
  const cases: [string | string[], RegExp][] = [
    ['', /no Kafka brokers given: set KAFKA_BROKERS/],
    [[], /no Kafka brokers given/],
    ['localhost', /bad Kafka broker "localhost": expected host:port/],
    ['a:0', /bad Kafka broker "a:0"/],
    ['a:70000', /port from 1 to 65535/],
    ['http://a:9092', /bad Kafka broker "http:\/\/a:9092"/],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => parseKafkaBrokers(input), { name: 'BusError', message }, String(input));
  }
});

test('bus options: defaults, environment, and the config they give', () => {
  const parsed = (argv: string[], env: NodeJS.ProcessEnv) =>
    busConfigFrom(parseCommandLine(busOptions, argv, env).values);
  assert.deepEqual(parsed([], {}), {
    kind: 'redis',
    redisUrl: 'redis://127.0.0.1:6379',
    keyPrefix: 'tracelab:',
  });
  assert.deepEqual(
    parsed(['--key-prefix', 'x:'], {
      TRACELAB_BUS: 'kafka',
      KAFKA_BROKERS: 'h:1,h:2',
      REDIS_URL: 'redis://r:1',
    }),
    { kind: 'kafka', redisUrl: 'redis://r:1', keyPrefix: 'x:', kafkaBrokers: ['h:1', 'h:2'] },
  );
  assert.throws(() => parsed([], { KAFKA_BROKERS: 'nope' }), /bad Kafka broker "nope"/);
  assert.throws(() => parsed(['--bus', 'nats'], {}), /expected one of redis, kafka/);
});

test('error mapping: only the missing-controller failure means "auto-create topics"', () => {
  const missing = Object.assign(new Error('Broker 0 not found in the cached metadata'), {
    name: 'KafkaJSBrokerNotFound',
  });
  assert.equal(isMissingControllerError(missing), true);
  const other = Object.assign(new Error('Topic creation errors'), {
    name: 'KafkaJSAggregateError',
  });
  assert.equal(isMissingControllerError(other), false);
  const notBroker = new Error('Broker 0 not found in the cached metadata');
  assert.equal(isMissingControllerError(notBroker), false);
  assert.equal(isMissingControllerError(undefined), false);

  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
    code: 'ECONNREFUSED',
  });
  const wrapped = Object.assign(new Error('Connection error: connect ECONNREFUSED'), {
    name: 'KafkaJSNumberOfRetriesExceeded',
    originalError: Object.assign(new Error('Connection error'), { cause: refused }),
  });
  assert.equal(connectFailureReason(wrapped), 'connection refused');
  assert.equal(
    connectFailureReason(Object.assign(new Error('x'), { code: 'ENOTFOUND' })),
    'host not found',
  );
  assert.equal(connectFailureReason(new Error('Connection timeout')), 'timed out');
});

test('createBus: a Kafka address with nothing listening is a clear error, quickly', async () => {
  const port = await new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const p = (server.address() as { port: number }).port;
      server.close(() => resolve(p));
    });
  });
  const started = Date.now();
  await assert.rejects(createBus({ kind: 'kafka', kafkaBrokers: [`127.0.0.1:${port}`] }), {
    name: 'BusError',
    code: 'BUS_ERR_UNREACHABLE',
    message: `cannot reach Kafka at 127.0.0.1:${port} (connection refused): start a broker, set KAFKA_BROKERS, or use Docker (docker compose up)`,
  });
  assert.ok(Date.now() - started < 15_000);
});

test('redelivery waits grow, and are capped', () => {
  assert.deepEqual([1, 2, 3, 10].map(redeliveryDelayMs), [100, 200, 400, 5000]);
});

test("the test broker's addresses are read from kcat's output", () => {
  const out =
    '%4|1700000000.000|MOCK|rdkafka#consumer-1| [thrd:app]: Mock cluster enabled: original bootstrap.servers and security.protocol ignored and replaced with 127.0.0.1:41231,127.0.0.1:41233\n';
  assert.deepEqual(parseMockBrokers(out), ['127.0.0.1:41231', '127.0.0.1:41233']);
  assert.equal(parseMockBrokers('nothing yet'), undefined);
});
