import type { Redis } from 'ioredis';
import { connectRedis } from './redis-connection.js';

/**
 * How many times each message has been delivered to a consumer group, kept outside the
 * consuming process so that a crash does not reset it: a message that kills its consumer
 * each time still reaches the dead-letter limit. Kafka has no such count of its own (Redis
 * Streams does: XPENDING), so the Kafka adapter keeps it here, one hash field per message
 * in hand, removed once the message is committed.
 */
export interface DeliveryCounts {
  /** Counts one more delivery of `messageId` to `group` on `topic`; resolves to the total. */
  next(group: string, topic: string, messageId: string): Promise<number>;
  /** The message is done with (committed): its count is dropped. */
  forget(group: string, topic: string, messageId: string): Promise<void>;
  /**
   * Drops the count of every message below its partition's committed offset (`<partition>:<offset>`
   * ids): those are never delivered to the group again. A consumer killed between committing
   * and `forget` leaves its count behind; this clears it.
   */
  forgetCommitted(
    group: string,
    topic: string,
    committed: ReadonlyMap<number, bigint>,
  ): Promise<void>;
  close(): Promise<void>;
}

export interface RedisDeliveryCountsOptions {
  readonly redisUrl: string;
  readonly keyPrefix: string;
}

/** Counts in Redis hashes (`<prefix>deliveries:<group>:<topic>`); connects on first use. */
export function redisDeliveryCounts(options: RedisDeliveryCountsOptions): DeliveryCounts {
  let redis: Promise<Redis> | undefined;
  const conn = () => {
    redis ??= connectRedis(options.redisUrl);
    redis.catch(() => (redis = undefined));
    return redis;
  };
  const key = (group: string, topic: string) => `${options.keyPrefix}deliveries:${group}:${topic}`;
  return {
    async next(group, topic, messageId) {
      return (await conn()).hincrby(key(group, topic), messageId, 1);
    },
    async forget(group, topic, messageId) {
      await (await conn()).hdel(key(group, topic), messageId);
    },
    async forgetCommitted(group, topic, committed) {
      const redis = await conn();
      const done = (await redis.hkeys(key(group, topic))).filter((id) => {
        const m = /^(\d+):(\d+)$/.exec(id);
        const floor = m ? committed.get(Number(m[1])) : undefined;
        return floor !== undefined && BigInt(m![2]!) < floor;
      });
      // No later delivery reads a count below a committed offset: reading then deleting is safe.
      if (done.length > 0) await redis.hdel(key(group, topic), ...done);
    },
    async close() {
      const r = redis;
      redis = undefined;
      if (r) (await r.catch(() => undefined))?.disconnect();
    },
  };
}
