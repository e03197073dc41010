import type { Redis } from 'ioredis';
import { DEFAULT_REDIS_URL } from '../config/index.js';
import { parseKafkaBrokers } from './kafka-codec.js';
import { DEFAULT_KEY_PREFIX } from './options.js';
import type { BusConfig } from './options.js';
import type { Bus } from './types.js';
export type {
  Bus,
  ConsumeOptions,
  IncomingMessage,
  LagEntry,
  MessageHandler,
  MessageHeaders,
  OutgoingMessage,
  PublishReceipt,
  Subscription,
} from './types.js';
export { PROPAGATION_MODES, withTracing } from './traced-bus.js';
export type { PropagationMode, TracingOptions } from './traced-bus.js';
export { startTestBroker } from './kafka-test-broker.js';
export type { TestBroker } from './kafka-test-broker.js';
export {
  BusError,
  BUS_ERRORS,
  mayHaveRun,
  nowUnreachable,
  unreachableDependency,
} from './errors.js';
export type { BusErrorCode } from './errors.js';
export {
  BUS_KINDS,
  DEFAULT_KEY_PREFIX,
  DEFAULT_READ_AHEAD_MS,
  busConfigFrom,
  busOptions,
} from './options.js';
export type { BusConfig, BusKind } from './options.js';
export {
  DEFAULT_MAX_DELIVERIES,
  dlqTopic,
  readDeadLetter,
  toDeadLetter,
  toReplay,
} from './dead-letter.js';
export type { DeadLetter } from './dead-letter.js';
export { connectionDown, connectRedis } from './redis-connection.js';
export { lazyLagReader } from './lag-reader.js';
export { consumerName, handOverPending, handOverStopped } from './run-handover.js';
export type { RunGroup } from './run-handover.js';
export type { LagReader } from './lag-reader.js';

/**
 * Connects to the bus the config names; a clear BusError (no stack) when it is not there.
 * Each adapter is loaded here, when it is used: importing this face loads neither ioredis
 * nor kafkajs (kafkajs is a few MB of heap a Redis Streams service never needs).
 */
export async function createBus(config: BusConfig, shared: { redis?: Redis } = {}): Promise<Bus> {
  const redisUrl = config.redisUrl ?? DEFAULT_REDIS_URL;
  const keyPrefix = config.keyPrefix ?? DEFAULT_KEY_PREFIX;
  if (config.kind === 'kafka') {
    const [{ createKafkaBus }, { redisDeliveryCounts }] = await Promise.all([
      import('./kafka.js'),
      import('./delivery-counts.js'),
    ]);
    return createKafkaBus({
      brokers: parseKafkaBrokers(config.kafkaBrokers),
      deliveryCounts: redisDeliveryCounts({ redisUrl, keyPrefix }),
    });
  }
  const { createRedisStreamsBus } = await import('./redis-streams.js');
  return createRedisStreamsBus({
    redisUrl,
    keyPrefix,
    ...(config.claimIdleMs !== undefined ? { claimIdleMs: config.claimIdleMs } : {}),
    ...(config.readAheadMs !== undefined ? { readAheadMs: config.readAheadMs } : {}),
    ...(shared.redis ? { connection: shared.redis } : {}),
  });
}
