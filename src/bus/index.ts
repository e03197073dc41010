import { createKafkaBus } from './kafka.js';
import { parseKafkaBrokers } from './kafka-codec.js';
import { DEFAULT_KEY_PREFIX, DEFAULT_REDIS_URL } from './options.js';
import type { BusConfig } from './options.js';
import { createRedisStreamsBus } from './redis-streams.js';
import type { Bus } from './types.js';
export { TOPICS } from './types.js';
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
  TopicName,
} from './types.js';
export { withTracing } from './traced-bus.js';
export type { TracingOptions } from './traced-bus.js';
export { startTestBroker } from './kafka-test-broker.js';
export type { TestBroker } from './kafka-test-broker.js';
export { BusError, BUS_ERRORS } from './errors.js';
export type { BusErrorCode } from './errors.js';

export {
  BUS_KINDS,
  DEFAULT_KEY_PREFIX,
  DEFAULT_REDIS_URL,
  busConfigFrom,
  busOptions,
} from './options.js';
export type { BusConfig, BusKind } from './options.js';
export { connectRedis } from './redis-connection.js';

/** Connects to the bus the config names; a clear BusError (no stack) when it is not there. */
export async function createBus(config: BusConfig): Promise<Bus> {
  if (config.kind === 'kafka') {
    return createKafkaBus({
      brokers: parseKafkaBrokers(config.kafkaBrokers),
      ...(config.clientId ? { clientId: config.clientId } : {}),
      ...(config.partitions ? { partitions: config.partitions } : {}),
    });
  }
  return createRedisStreamsBus({
    redisUrl: config.redisUrl ?? DEFAULT_REDIS_URL,
    keyPrefix: config.keyPrefix ?? DEFAULT_KEY_PREFIX,
    ...(config.claimIdleMs !== undefined ? { claimIdleMs: config.claimIdleMs } : {}),
  });
}
