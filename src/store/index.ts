export { createRedisOrderStore } from './redis-orders.js';
export type { RedisOrderStoreOptions } from './redis-orders.js';
export type { AnalyticsTotals, OrderRecord, OrderStore, StageRecord } from './types.js';
