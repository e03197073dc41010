import type * as Pg from 'pg';
import { withTimeout } from '../errors/index.js';
import { DATABASE_ERRORS, DatabaseError, toDatabaseError } from './errors.js';
import type { Database, DatabaseOptions, Queryable } from './types.js';
import { redactDatabaseUrl } from './url.js';

const PING_TIMEOUT_MS = 800;

/**
 * Opens a pool on the server the URL names and checks that it answers: a server that is down
 * gives a DatabaseError DB_ERR_UNREACHABLE within the connect timeout, never a hang.
 */
export async function connectDatabase(o: DatabaseOptions): Promise<Database> {
  const where = redactDatabaseUrl(o.url);
  // Loaded here, when a database is first used, and with require so the pg instrumentation
  // (which hooks require) sees it: importing the face loads no client.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pg = require('pg') as typeof Pg;
  const connectTimeoutMs = o.connectTimeoutMs ?? 2000;
  const makePool = (size: number): Pg.Pool => {
    const pool = new pg.Pool({
      connectionString: o.url,
      max: size,
      connectionTimeoutMillis: connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      ...(o.applicationName ? { application_name: o.applicationName } : {}),
      ...(o.statementTimeoutMs
        ? {
            statement_timeout: o.statementTimeoutMs,
            // The client's own limit, past the server's: a server that went silent mid-query.
            query_timeout: o.statementTimeoutMs + 1000,
          }
        : {}),
    });
    // An idle client whose server went away emits here; the next query reports it.
    pool.on('error', () => {});
    return pool;
  };
  let pool = makePool(o.poolSize ?? 10);
  let closed = false;
  const full = (p: Pg.Pool): boolean => p.totalCount >= (p.options.max ?? 10);
  const fail = (p: Pg.Pool, err: unknown): DatabaseError => toDatabaseError(err, where, full(p));
  const checkOpen = (): void => {
    if (closed) throw new DatabaseError(DATABASE_ERRORS.DB_ERR_CLOSED, `${where} is closed`);
  };

  const db: Database = {
    url: where,
    async query<R>(text: string, values?: unknown[]) {
      checkOpen();
      const p = pool;
      try {
        const res = await p.query(text, values);
        return { rows: res.rows as R[], rowCount: res.rowCount };
      } catch (err) {
        throw fail(p, err);
      }
    },
    transaction<T>(work: (q: Queryable) => Promise<T>): Promise<T> {
      checkOpen();
      const p = pool;
      return inTransaction(p, (err) => fail(p, err), work);
    },
    async resizePool(n: number) {
      checkOpen();
      if (!Number.isInteger(n) || n < 1) {
        throw new DatabaseError(
          DATABASE_ERRORS.DB_ERR_BAD_INPUT,
          `a pool needs 1 or more connections, not ${n}`,
        );
      }
      if (pool.options.max === n) return;
      // A new pool for new work; the old one ends once its running statements have finished.
      const old = pool;
      pool = makePool(n);
      await old.end();
    },
    async ping() {
      checkOpen();
      await withTimeout(
        db.query('SELECT 1'),
        PING_TIMEOUT_MS,
        () =>
          new DatabaseError(
            DATABASE_ERRORS.DB_ERR_UNREACHABLE,
            `PostgreSQL at ${where} did not answer within ${PING_TIMEOUT_MS} ms`,
          ),
      );
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };

  try {
    // The first connection says whether the server is there at all.
    await db.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  return db;
}

/**
 * `work` between BEGIN and COMMIT on one pooled connection, rolled back when it throws. A
 * connection that broke on the way is not handed out again.
 */
async function inTransaction<T>(
  p: Pg.Pool,
  fail: (err: unknown) => DatabaseError,
  work: (q: Queryable) => Promise<T>,
): Promise<T> {
  let client: Pg.PoolClient;
  try {
    client = await p.connect();
  } catch (err) {
    throw fail(err);
  }
  let broken: Error | undefined;
  // A connection lost while the client is checked out is emitted on the client, which the
  // pool no longer listens to: unheard, it would end the process. The statement in flight
  // fails on its own; the client is not handed out again.
  const onError = (err: Error) => {
    broken ??= err;
  };
  client.on('error', onError);
  const q: Queryable = {
    async query<R>(text: string, values?: unknown[]) {
      try {
        const res = await client.query(text, values);
        return { rows: res.rows as R[], rowCount: res.rowCount };
      } catch (err) {
        throw fail(err);
      }
    },
  };
  try {
    await q.query('BEGIN');
    const result = await work(q);
    await q.query('COMMIT');
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackErr) {
      // The connection is unusable: the pool must not hand it out again.
      broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
    }
    throw err instanceof DatabaseError ? err : fail(err);
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
