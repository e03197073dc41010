import { redisDeliveryCounts } from './delivery-counts.js';
import { parseKafkaBrokers } from './kafka-codec.js';
import type { Redis } from 'ioredis';
import { DEFAULT_REDIS_URL } from '../config/index.js';
import { DEFAULT_KEY_PREFIX } from './options.js';
import type { BusConfig } from './options.js';
import { createRedisStreamsBus } from './redis-streams.js';
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
export { withTracing } from './traced-bus.js';
export type { TracingOptions } from './traced-bus.js';
export { startTestBroker } from './kafka-test-broker.js';
export type { TestBroker } from './kafka-test-broker.js';
export { BusError, BUS_ERRORS, nowUnreachable, unreachableDependency } from './errors.js';
export type { BusErrorCode } from './errors.js';

export { BUS_KINDS, DEFAULT_KEY_PREFIX, busConfigFrom, busOptions } from './options.js';
export type { BusConfig, BusKind } from './options.js';
export { connectionDown, connectRedis } from './redis-connection.js';
export { lazyLagReader } from './lag-reader.js';
export type { LagReader } from './lag-reader.js';

/** Connects to the bus the config names; a clear BusError (no stack) when it is not there. */
export async function createBus(config: BusConfig, shared: { redis?: Redis } = {}): Promise<Bus> {
  if (config.kind === 'kafka') {
    // Loaded only for Kafka: kafkajs is a few MB of heap a Redis Streams service never needs.
    const { createKafkaBus } = await import('./kafka.js');
    return createKafkaBus({
      brokers: parseKafkaBrokers(config.kafkaBrokers),
      deliveryCounts: redisDeliveryCounts({
        redisUrl: config.redisUrl ?? DEFAULT_REDIS_URL,
        keyPrefix: config.keyPrefix ?? DEFAULT_KEY_PREFIX,
      }),
    });
  }
  return createRedisStreamsBus({
    redisUrl: config.redisUrl ?? DEFAULT_REDIS_URL,
    keyPrefix: config.keyPrefix ?? DEFAULT_KEY_PREFIX,
    ...(config.claimIdleMs !== undefined ? { claimIdleMs: config.claimIdleMs } : {}),
    ...(config.readAheadMs !== undefined ? { readAheadMs: config.readAheadMs } : {}),
    ...(shared.redis ? { connection: shared.redis } : {}),
  });
}
