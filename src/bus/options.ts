import type { OptionSpec, OptionValues } from '../config/index.js';
import { DEFAULT_REDIS_URL, opt } from '../config/index.js';
import { parseKafkaBrokers } from './kafka-codec.js';

/**
 * Bus settings, apart from the adapters: `tracelab service` reads them before telemetry
 * starts, and nothing here may load ioredis or kafkajs before it does.
 */

export const DEFAULT_KEY_PREFIX = 'tracelab:';
/** Redis Streams: milliseconds of work a consumer may read ahead of its hand. */
export const DEFAULT_READ_AHEAD_MS = 10;
/** Redis Streams: the most entries a consumer reads ahead of its hand. */
export const MAX_READ_AHEAD = 16;
export const BUS_KINDS = ['redis', 'kafka'] as const;
export type BusKind = (typeof BUS_KINDS)[number];

export interface BusConfig {
  readonly kind: BusKind;
  readonly redisUrl?: string;
  /** Redis stream key prefix (Redis Streams only). */
  readonly keyPrefix?: string;
  readonly kafkaBrokers?: string[];
  /** Redis Streams: pending entries idle this long are claimed from dead consumers. */
  readonly claimIdleMs?: number;
  /** Redis Streams: milliseconds of work a consumer may read ahead (0: none). */
  readonly readAheadMs?: number;
}

/** Options shared by every command that talks to the bus (up, service, lag). */
export const busOptions: readonly OptionSpec[] = [
  {
    name: 'bus',
    type: 'string',
    choices: BUS_KINDS,
    default: 'redis',
    env: 'TRACELAB_BUS',
    description: 'message bus: Redis Streams or Kafka',
  },
  {
    name: 'redis-url',
    type: 'string',
    default: DEFAULT_REDIS_URL,
    env: 'REDIS_URL',
    description: 'Redis server',
  },
  {
    name: 'kafka-brokers',
    type: 'list',
    env: 'KAFKA_BROKERS',
    description: 'Kafka brokers, host:port (comma-separated or repeated)',
  },
  {
    name: 'key-prefix',
    type: 'string',
    default: DEFAULT_KEY_PREFIX,
    env: 'TRACELAB_KEY_PREFIX',
    description: 'prefix of every Redis key tracelab uses, stream keys included',
  },
];

/**
 * The BusConfig that parsed `busOptions` values describe. Kafka brokers are left unchecked
 * when absent: `tracelab up --bus kafka` may start a test broker instead.
 */
export function busConfigFrom(values: OptionValues): BusConfig {
  const kind = opt.str(values, 'bus') as BusKind;
  const brokers = opt.list(values, 'kafka-brokers');
  return {
    kind,
    redisUrl: opt.str(values, 'redis-url'),
    keyPrefix: opt.str(values, 'key-prefix'),
    ...(brokers.length > 0 ? { kafkaBrokers: parseKafkaBrokers(brokers) } : {}),
  };
}
