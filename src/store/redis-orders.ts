import type { Redis } from 'ioredis';
import { PIPELINE_ORDER } from '../model/index.js';
import type { PipelineKind } from '../model/index.js';
import { UnknownOrderError } from './errors.js';
import { scriptCommand, UNKNOWN_ORDER } from './redis-script.js';
import type { AnalyticsTotals, ItemTotals, OrderRecord, OrderStore, StageRecord } from './types.js';

// Marks the order counted and adds it to the aggregates in one atomic step, so a message
// redelivered after a crash can never count an order twice.
const RECORD_ANALYTICS = `
if redis.call('HEXISTS', KEYS[1], 'item') == 0 then return ${UNKNOWN_ORDER} end
if redis.call('HSETNX', KEYS[1], 'analytics', ARGV[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[2], 'orders', 1)
redis.call('HINCRBY', KEYS[2], 'quantity', ARGV[3])
redis.call('HINCRBY', KEYS[3], ARGV[2], ARGV[3])
redis.call('HINCRBY', KEYS[4], ARGV[2], 1)
redis.call('HINCRBY', KEYS[5], 'analytics', 1)
return 1`;

// The order's record, its expiry and the API's count in one command: on an auto-pipelined
// connection the records of the orders that arrive together go out in one write.
const CREATE_ORDER = `
redis.call('HSET', KEYS[1], 'item', ARGV[1], 'quantity', ARGV[2], 'created_at', ARGV[3],
  'trace_id', ARGV[4], 'api', ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('HINCRBY', KEYS[2], 'api', 1)
return 1`;

// A stage is counted the first time it is marked done: a redelivered message changes nothing.
const MARK_STAGE = `
if redis.call('HEXISTS', KEYS[1], 'item') == 0 then return ${UNKNOWN_ORDER} end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
return 1`;

// An order that was not accepted after all (its publish failed) leaves no record and no count.
// Unless processing has taken it already: then it was published after all (the reply was
// lost, not the message) and it goes on; removing its record now would strand it half-way.
const REMOVE_ORDER = `
if redis.call('HEXISTS', KEYS[1], 'processing') == 1 then return -1 end
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[2], 'api', -1)
return 1`;

/** How long an order's record is kept by default: a week. */
export const ORDER_TTL_SECONDS = 7 * 24 * 3600;

export interface RedisOrderStoreOptions {
  readonly keyPrefix: string;
  /** How long an order's record is kept (seconds). */
  readonly orderTtlSeconds?: number;
}

export function createRedisOrderStore(redis: Redis, options: RedisOrderStoreOptions): OrderStore {
  const p = options.keyPrefix;
  const ttl = options.orderTtlSeconds ?? ORDER_TTL_SECONDS;
  const orderKey = (id: string) => `${p}order:${id}`;
  const totalsKey = `${p}analytics:totals`;
  const itemsKey = `${p}analytics:items`;
  const itemOrdersKey = `${p}analytics:item_orders`;
  const stagesKey = `${p}analytics:stages`;
  // EVALSHA, loading each script on first use: Redis neither receives nor hashes its text
  // again for every order.
  const createOrder = scriptCommand(redis, 'tracelabCreateOrder', 2, CREATE_ORDER);
  const recordAnalytics = scriptCommand(redis, 'tracelabRecordAnalytics', 5, RECORD_ANALYTICS);
  const markStage = scriptCommand(redis, 'tracelabMarkStage', 2, MARK_STAGE);
  const removeOrder = scriptCommand(redis, 'tracelabRemoveOrder', 2, REMOVE_ORDER);

  return {
    async create(order, traceId) {
      await createOrder(
        orderKey(order.id),
        stagesKey,
        order.item,
        order.quantity,
        order.createdAtMs,
        traceId,
        Date.now(),
        ttl,
      );
    },
    async remove(orderId) {
      return (await removeOrder(orderKey(orderId), stagesKey)) !== -1;
    },
    async markStage(orderId, stage, atMs) {
      const marked = await markStage(orderKey(orderId), stagesKey, stage, atMs);
      if (marked === UNKNOWN_ORDER) throw new UnknownOrderError(orderId);
    },
    async markDeadLettered(orderId, stage, reason, atMs) {
      // Only on a record that exists: a dead letter never creates an order of its own.
      await redis.eval(
        "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'dead_letter', ARGV[1]) end",
        1,
        orderKey(orderId),
        JSON.stringify({ stage, reason, atMs }),
      );
    },
    async clearDeadLettered(orderId) {
      await redis.hdel(orderKey(orderId), 'dead_letter');
    },
    async recordAnalytics(order, atMs) {
      const counted = await recordAnalytics(
        orderKey(order.id),
        totalsKey,
        itemsKey,
        itemOrdersKey,
        stagesKey,
        atMs,
        order.item,
        order.quantity,
      );
      if (counted === UNKNOWN_ORDER) throw new UnknownOrderError(order.id);
      return counted === 1;
    },
    async has(orderId) {
      // The field every record has, as the scripts check: a hash that is only a stage's
      // mark would not be a record.
      return (await redis.hexists(orderKey(orderId), 'item')) === 1;
    },
    async get(orderId) {
      const h = await redis.hgetall(orderKey(orderId));
      if (!h.item) return undefined;
      return toRecord(orderId, h);
    },
    async totals(): Promise<AnalyticsTotals> {
      // One MULTI, so the figures are one consistent snapshot.
      const replies = await redis
        .multi()
        .hgetall(totalsKey)
        .hgetall(itemsKey)
        .hgetall(itemOrdersKey)
        .hgetall(stagesKey)
        .exec();
      const [totals, quantities, orders, stages] = (replies ?? []).map(([err, value]) => {
        if (err) throw err;
        return value as Record<string, string>;
      }) as [
        Record<string, string>,
        Record<string, string>,
        Record<string, string>,
        Record<string, string>,
      ];
      const items: Record<string, ItemTotals> = {};
      for (const [item, quantity] of Object.entries(quantities)) {
        items[item] = { orders: Number(orders[item] ?? 0), quantity: Number(quantity) };
      }
      return {
        orders: Number(totals.orders ?? 0),
        quantity: Number(totals.quantity ?? 0),
        items,
        stages: Object.fromEntries(
          PIPELINE_ORDER.map((kind) => [kind, Number(stages[kind] ?? 0)]),
        ) as Record<PipelineKind, number>,
      };
    },
  };
}

function toRecord(id: string, h: Record<string, string>): OrderRecord {
  const dead = h.dead_letter
    ? (JSON.parse(h.dead_letter) as { stage: PipelineKind; reason: string; atMs: number })
    : undefined;
  const stages = Object.fromEntries(
    PIPELINE_ORDER.map((kind): [PipelineKind, StageRecord] => {
      const at = h[kind];
      if (at) return [kind, { status: 'done', atMs: Number(at) }];
      if (dead?.stage === kind) {
        return [kind, { status: 'dead_lettered', atMs: dead.atMs, reason: dead.reason }];
      }
      return [kind, { status: 'pending' }];
    }),
  ) as Record<PipelineKind, StageRecord>;
  return {
    id,
    item: h.item ?? '',
    quantity: Number(h.quantity),
    createdAtMs: Number(h.created_at),
    traceId: h.trace_id ?? '',
    status:
      stages.analytics.status === 'done'
        ? 'completed'
        : dead && stages[dead.stage].status === 'dead_lettered'
          ? 'dead_lettered'
          : 'in_progress',
    stages,
  };
}
