import type { Redis } from 'ioredis';
import { scriptCommand, UNKNOWN_ORDER } from './redis-script.js';
import { UnknownOrderError } from './errors.js';
import { ORDER_TTL_SECONDS } from './redis-orders.js';

// The order audited once: its audit record (with an expiry) set only if absent, and the count
// raised in the same atomic step, so a message redelivered after a crash audits nothing twice.
// Only for an order the API accepted, as analytics counts only those.
const RECORD_AUDIT = `
if redis.call('HEXISTS', KEYS[1], 'item') == 0 then return ${UNKNOWN_ORDER} end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'EX', ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[3], 'orders', 1)
return 1`;

/** The audit-service's own records: apart from the order record and analytics' aggregates. */
export interface AuditLog {
  /**
   * Audits the order once: true the first time, false when it was audited already. Throws
   * UnknownOrderError when the order has no record: nothing is recorded.
   */
  record(orderId: string, atMs: number): Promise<boolean>;
  /** When the order was audited (epoch ms), while its record lasts. */
  auditedAt(orderId: string): Promise<number | undefined>;
  /** Orders audited since the key prefix was first used. */
  count(): Promise<number>;
}

export interface RedisAuditLogOptions {
  readonly keyPrefix: string;
  /** How long an order's audit record is kept (seconds): as long as its order record. */
  readonly ttlSeconds?: number;
}

export function createRedisAuditLog(redis: Redis, options: RedisAuditLogOptions): AuditLog {
  const p = options.keyPrefix;
  const ttl = options.ttlSeconds ?? ORDER_TTL_SECONDS;
  const orderKey = (id: string) => `${p}order:${id}`;
  const auditKey = (id: string) => `${p}audit:order:${id}`;
  const totalsKey = `${p}audit:totals`;
  const recordAudit = scriptCommand(redis, 'tracelabRecordAudit', 3, RECORD_AUDIT);
  return {
    async record(orderId, atMs) {
      const done = await recordAudit(orderKey(orderId), auditKey(orderId), totalsKey, atMs, ttl);
      if (done === UNKNOWN_ORDER) throw new UnknownOrderError(orderId);
      return done === 1;
    },
    async auditedAt(orderId) {
      const at = await redis.get(auditKey(orderId));
      return at === null ? undefined : Number(at);
    },
    async count() {
      return Number((await redis.hget(totalsKey, 'orders')) ?? 0);
    },
  };
}
