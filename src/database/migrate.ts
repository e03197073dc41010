import { DATABASE_ERRORS, DatabaseError } from './errors.js';
import { MIGRATIONS } from './schema.js';
import type { SeedSizes } from './schema.js';
import type { Database } from './types.js';

export interface MigrateOptions {
  /** Items in the catalogue (default 2,000). Only the first migrate of a database seeds. */
  readonly catalogueSize?: number;
  /** Stock movements per item (default 100): the rows the lookup's index is for. */
  readonly movementsPerItem?: number;
}

export const DEFAULT_CATALOGUE_SIZE = 2000;
export const DEFAULT_MOVEMENTS_PER_ITEM = 100;
/** The advisory lock's key: replicas starting together migrate one after another. */
const MIGRATION_LOCK_KEY = 0x7472_6163; // 'trac'

/**
 * Brings the schema up to date: each migration not yet in `schema_migrations` runs in its own
 * transaction and is recorded there. Idempotent; concurrent callers (replicas starting at once)
 * take turns under a session advisory lock, so the second finds everything done.
 */
export async function migrate(db: Database, opts: MigrateOptions = {}): Promise<void> {
  const seed: SeedSizes = {
    catalogueSize: positive(opts.catalogueSize ?? DEFAULT_CATALOGUE_SIZE, 'catalogueSize'),
    movementsPerItem: positive(
      opts.movementsPerItem ?? DEFAULT_MOVEMENTS_PER_ITEM,
      'movementsPerItem',
    ),
  };
  // A transaction-scoped lock would end with the first migration's COMMIT; one transaction
  // for all of them holds it to the end instead, and a failure leaves nothing half done.
  await db.transaction(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await q.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version int PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = await q.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(done.rows.map((r) => r.version));
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      for (const statement of m.statements(seed)) await q.query(statement);
      await q.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ]);
    }
  });
}

function positive(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) {
    throw new DatabaseError(
      DATABASE_ERRORS.DB_ERR_BAD_INPUT,
      `${name} must be a whole number of 1 or more, not ${n}`,
    );
  }
  return n;
}
