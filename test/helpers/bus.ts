import { randomBytes } from 'node:crypto';
import { redisDeliveryCounts } from '../../src/bus/delivery-counts.js';
import { createKafkaBus } from '../../src/bus/kafka.js';
import { createRedisStreamsBus } from '../../src/bus/redis-streams.js';
import type { Bus } from '../../src/bus/types.js';
import { deleteKeys, REDIS_URL } from './redis.js';

export const KAFKA_BROKERS = process.env.KAFKA_BROKERS;
export const KAFKA_SKIP = KAFKA_BROKERS
  ? false
  : 'KAFKA_BROKERS is not set: start a broker with ../shared/tools/kafka-broker start';

/** A bus under test with names of its own, so runs and tests never share a stream or topic. */
export interface BusFixture {
  readonly bus: Bus;
  /** Redis: the stream key prefix of this fixture. */
  readonly keyPrefix?: string;
  /** Kafka: the broker list, and the prefix of this fixture's topic names. */
  readonly kafkaBrokers?: string;
  readonly topicPrefix?: string;
  /** A fresh topic (or group, consumer) name for this test. */
  name(kind: string): string;
  /** Buses opened again on the same streams/topics (another replica, another service). */
  another(): Promise<Bus>;
  cleanup(): Promise<void>;
}

export interface Adapter {
  readonly system: 'redis' | 'kafka';
  readonly skip: false | string;
  /** How long a test waits for a redelivery or a rebalance. */
  readonly patienceMs: number;
  open(): Promise<BusFixture>;
}

const rand = () => randomBytes(4).toString('hex');

export const redisAdapter: Adapter = {
  system: 'redis',
  skip: false,
  patienceMs: 5_000,
  async open() {
    const keyPrefix = `tracelab-test-${rand()}:`;
    const make = () =>
      createRedisStreamsBus({
        redisUrl: REDIS_URL,
        keyPrefix,
        claimIdleMs: 300,
        claimIntervalMs: 100,
        blockMs: 200,
      });
    return fixture(make, { keyPrefix }, () => deleteKeys(keyPrefix));
  },
};

export const kafkaAdapter: Adapter = {
  system: 'kafka',
  skip: KAFKA_SKIP,
  patienceMs: 20_000,
  async open() {
    const topicPrefix = `t-${rand()}-`;
    const make = () =>
      createKafkaBus({
        brokers: (KAFKA_BROKERS ?? '').split(','),
        clientId: 'tracelab-test',
        topicPrefix,
        sessionTimeoutMs: 6000,
        heartbeatIntervalMs: 300,
        // TEST_KAFKA_LOG=1 shows kafkajs's warnings and the adapter's own lines.
        log: process.env.TEST_KAFKA_LOG ? (l) => process.stderr.write(l + '\n') : () => {},
        deliveryCounts: redisDeliveryCounts({ redisUrl: REDIS_URL, keyPrefix: topicPrefix }),
      });
    return fixture(make, { kafkaBrokers: KAFKA_BROKERS, topicPrefix }, () =>
      deleteKeys(topicPrefix),
    );
  },
};

export const adapters: readonly Adapter[] = [redisAdapter, kafkaAdapter];

/** Opens the first bus; more on demand; closes them all (then cleans up) at the end. */
async function fixture(
  make: () => Promise<Bus>,
  extra: Pick<BusFixture, 'keyPrefix' | 'kafkaBrokers' | 'topicPrefix'>,
  afterClose: () => Promise<void> = () => Promise.resolve(),
): Promise<BusFixture> {
  const opened: Bus[] = [await make()];
  return {
    ...extra,
    bus: opened[0]!,
    name: (kind) => `${kind}-${rand()}`,
    async another() {
      const b = await make();
      opened.push(b);
      return b;
    },
    async cleanup() {
      await Promise.all(opened.map((b) => b.close()));
      await afterClose();
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise with its resolve handle, for holding a handler until the test lets it go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
