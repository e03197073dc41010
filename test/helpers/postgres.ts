import { randomBytes } from 'node:crypto';
import { connectDatabase } from '../../src/database/index.js';
import type { Database } from '../../src/database/index.js';

/** The machine's PostgreSQL (trust auth for `postgres` on 127.0.0.1), its maintenance database. */
export const POSTGRES_ADMIN_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** The new database's URL. */
  readonly url: string;
  readonly name: string;
  /** Drops it, closing whatever is still connected to it. */
  drop(): Promise<void>;
}

/**
 * A database of its own for one test (`tracelab_test_<random>`), dropped by `drop()`: empty, or
 * a copy of `template`.
 */
export async function createTestDatabase(opts: { template?: string } = {}): Promise<TestDatabase> {
  const name = `tracelab_test_${randomBytes(6).toString('hex')}`;
  const admin = await connectDatabase({ url: POSTGRES_ADMIN_URL, poolSize: 1 });
  try {
    await admin.query(
      `CREATE DATABASE ${name}${opts.template ? ` TEMPLATE ${opts.template}` : ''}`,
    );
  } finally {
    await admin.close();
  }
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const a = await connectDatabase({ url: POSTGRES_ADMIN_URL, poolSize: 1 });
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.close();
      }
    },
  };
}

/** A Database whose every statement is also written down, to count them. */
export function recording(db: Database): { db: Database; statements: string[] } {
  const statements: string[] = [];
  const record =
    <Q extends { query: Database['query'] }>(q: Q): Q['query'] =>
    (text, values) => {
      statements.push(text);
      return q.query(text, values);
    };
  return {
    statements,
    db: {
      ...db,
      url: db.url,
      query: record(db),
      transaction: (work) => db.transaction((q) => work({ query: record(q) })),
      resizePool: (n) => db.resizePool(n),
      ping: () => db.ping(),
      close: () => db.close(),
    },
  };
}
