export { createRedisOrderStore } from './redis-orders.js';
export type { RedisOrderStoreOptions } from './redis-orders.js';
export type { AnalyticsTotals, ItemTotals, OrderRecord, OrderStore, StageRecord } from './types.js';
export { deleteKeysWithPrefix, keysWithPrefix } from './keys.js';
