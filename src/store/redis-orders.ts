import type { Redis } from 'ioredis';
import { PIPELINE_ORDER } from '../pipeline/services.js';
import type { AnalyticsTotals, OrderRecord, OrderStore, StageRecord } from './types.js';
import type { ServiceKind } from '../workload/types.js';

// Marks the order counted and adds it to the aggregates in one atomic step, so a message
// redelivered after a crash can never count an order twice.
const RECORD_ANALYTICS = `
if redis.call('HSETNX', KEYS[1], 'analytics', ARGV[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[2], 'orders', 1)
redis.call('HINCRBY', KEYS[2], 'quantity', ARGV[3])
redis.call('HINCRBY', KEYS[3], ARGV[2], ARGV[3])
return 1`;

export interface RedisOrderStoreOptions {
  readonly keyPrefix: string;
  /** How long an order's record is kept (seconds). */
  readonly orderTtlSeconds?: number;
}

export function createRedisOrderStore(redis: Redis, options: RedisOrderStoreOptions): OrderStore {
  const p = options.keyPrefix;
  const ttl = options.orderTtlSeconds ?? 7 * 24 * 3600;
  const orderKey = (id: string) => `${p}order:${id}`;
  const totalsKey = `${p}analytics:totals`;
  const itemsKey = `${p}analytics:items`;

  return {
    async create(order, traceId) {
      await redis
        .multi()
        .hset(orderKey(order.id), {
          item: order.item,
          quantity: order.quantity,
          created_at: order.createdAtMs,
          trace_id: traceId,
          api: Date.now(),
        })
        .expire(orderKey(order.id), ttl)
        .exec();
    },
    async remove(orderId) {
      await redis.del(orderKey(orderId));
    },
    async markStage(orderId, stage, atMs) {
      await redis.hset(orderKey(orderId), stage, atMs);
    },
    async recordAnalytics(order, atMs) {
      const counted = await redis.eval(
        RECORD_ANALYTICS,
        3,
        orderKey(order.id),
        totalsKey,
        itemsKey,
        atMs,
        order.item,
        order.quantity,
      );
      return counted === 1;
    },
    async get(orderId) {
      const h = await redis.hgetall(orderKey(orderId));
      if (!h.item) return undefined;
      return toRecord(orderId, h);
    },
    async totals(): Promise<AnalyticsTotals> {
      const [totals, items] = await Promise.all([
        redis.hgetall(totalsKey),
        redis.hgetall(itemsKey),
      ]);
      return {
        orders: Number(totals.orders ?? 0),
        quantity: Number(totals.quantity ?? 0),
        items: Object.fromEntries(Object.entries(items).map(([k, v]) => [k, Number(v)])),
      };
    },
  };
}

function toRecord(id: string, h: Record<string, string>): OrderRecord {
  const stages = Object.fromEntries(
    PIPELINE_ORDER.map((kind): [ServiceKind, StageRecord] => {
      const at = h[kind];
      return [kind, at ? { status: 'done', atMs: Number(at) } : { status: 'pending' }];
    }),
  ) as Record<ServiceKind, StageRecord>;
  return {
    id,
    item: h.item ?? '',
    quantity: Number(h.quantity),
    createdAtMs: Number(h.created_at),
    traceId: h.trace_id ?? '',
    status: stages.analytics.status === 'done' ? 'completed' : 'in_progress',
    stages,
  };
}
