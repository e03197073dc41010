export { createRedisOrderStore } from './redis-orders.js';
export type { RedisOrderStoreOptions } from './redis-orders.js';
export { createRedisAuditLog } from './redis-audit.js';
export type { AuditLog, RedisAuditLogOptions } from './redis-audit.js';
export type { AnalyticsTotals, ItemTotals, OrderRecord, OrderStore, StageRecord } from './types.js';
export { deleteKeysWithPrefix, keysWithPrefix } from './keys.js';
export { STORE_ERRORS, StoreError, UnknownOrderError } from './errors.js';
export type { StoreErrorCode } from './errors.js';
