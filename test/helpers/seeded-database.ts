import { createHash, randomBytes } from 'node:crypto';
import {
  connectDatabase,
  DEFAULT_CATALOGUE_SIZE,
  DEFAULT_MOVEMENTS_PER_ITEM,
  migrate,
} from '../../src/database/index.js';
import type { Database } from '../../src/database/index.js';
import { MIGRATIONS } from '../../src/database/schema.js';
import { createTestDatabase, POSTGRES_ADMIN_URL } from './postgres.js';
import type { TestDatabase } from './postgres.js';

/**
 * The schema and seed as `tracelab up` makes them, named by what they hold: another migration
 * list, or another seed, is another template.
 */
function templateName(): string {
  const seed = {
    catalogueSize: DEFAULT_CATALOGUE_SIZE,
    movementsPerItem: DEFAULT_MOVEMENTS_PER_ITEM,
  };
  const hash = createHash('sha256');
  for (const m of MIGRATIONS) hash.update(JSON.stringify([m.version, m.statements(seed)]));
  return `tracelab_template_${hash.digest('hex').slice(0, 12)}`;
}

async function exists(admin: Database, name: string): Promise<boolean> {
  const r = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return r.rows.length > 0;
}

/**
 * Made once per machine and schema: migrated under a name of its own, then renamed, so a copy
 * is never taken of one half made. Test files starting together may each make one; the first
 * renamed is kept.
 */
async function ensureTemplate(admin: Database, name: string): Promise<void> {
  if (await exists(admin, name)) return;
  const building = `tracelab_building_${randomBytes(6).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${building}`);
  try {
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${building}`;
    const db = await connectDatabase({ url: url.toString(), poolSize: 1 });
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
    // The migration's connection may take a moment to leave the server: renaming waits for it.
    for (let tries = 0; ; tries++) {
      if (await exists(admin, name)) break;
      try {
        await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
        return;
      } catch (err) {
        if (tries >= 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (err) {
    if (!(await exists(admin, name))) throw err;
  }
  await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
}

/**
 * A database of its own for one test, migrated and seeded as `up` would: a copy of a template,
 * made in under a second where seeding the catalogue's stock movements takes seconds on a busy
 * machine. `up` finds every migration applied and goes on.
 */
export async function createSeededTestDatabase(): Promise<TestDatabase> {
  const template = templateName();
  const admin = await connectDatabase({ url: POSTGRES_ADMIN_URL, poolSize: 1 });
  try {
    await ensureTemplate(admin, template);
  } finally {
    await admin.close();
  }
  return createTestDatabase({ template });
}
