export { buildInventoryApp } from './app.js';
export type { InventoryDeps } from './app.js';
export { syncDatabaseFaults } from './database-faults.js';
export type { DatabaseFaultSync } from './database-faults.js';
export { isDatabaseDown } from './database-down.js';
export { stockBackend } from './stock-backend.js';
export { RESERVATION_REQUEST_SCHEMA } from './body.js';
export type { Reservation, ReserveRequest, ReserveVariant, StockBackend } from './types.js';
