/*
 * The database's face: PostgreSQL through node-postgres, the inventory schema and its
 * repository. Importing it loads no client: `pg` comes in with the first connectDatabase.
 */
export { connectDatabase } from './connect.js';
export type { Database, DatabaseOptions, Queryable } from './types.js';
export { DATABASE_ERRORS, DatabaseError } from './errors.js';
export type { DatabaseErrorCode } from './errors.js';
export { redactDatabaseUrl } from './url.js';
export { DEFAULT_CATALOGUE_SIZE, DEFAULT_MOVEMENTS_PER_ITEM, migrate } from './migrate.js';
export type { MigrateOptions } from './migrate.js';
export { LOOKUP_INDEX } from './schema.js';
export { createInventoryRepository } from './inventory.js';
export type {
  InventoryRepository,
  Reservation,
  ReserveRequest,
  ReserveVariant,
} from './inventory.js';
