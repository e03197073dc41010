import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connectDatabase, redactDatabaseUrl } from '../../src/database/index.js';
import type { Database } from '../../src/database/index.js';
import { createTestDatabase } from '../helpers/postgres.js';
import type { TestDatabase } from '../helpers/postgres.js';

let tdb: TestDatabase;
let db: Database;
before(async () => {
  tdb = await createTestDatabase();
  db = await connectDatabase({ url: tdb.url, poolSize: 2, applicationName: 'tracelab-test' });
});
after(async () => {
  await db?.close();
  await tdb?.drop();
});

test('a server that is not there: DB_ERR_UNREACHABLE at once, the password not shown', async () => {
  const started = Date.now();
  await assert.rejects(
    connectDatabase({ url: 'postgres://u:secret@127.0.0.1:1/x' }),
    (err: Error & { code?: string }) => {
      assert.equal(err.name, 'DatabaseError');
      assert.equal(err.code, 'DB_ERR_UNREACHABLE');
      assert.match(
        err.message,
        /^cannot reach PostgreSQL at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x \(connection refused\)$/,
      );
      return true;
    },
  );
  assert.ok(Date.now() - started < 3000, 'answered within 3 s');
});

test('a database that does not exist is unreachable too, saying why', async () => {
  const url = new URL(tdb.url);
  url.pathname = '/tracelab_no_such_database';
  await assert.rejects(connectDatabase({ url: url.toString() }), {
    code: 'DB_ERR_UNREACHABLE',
    message: /does not exist/,
  });
});

test('not a PostgreSQL URL: DB_ERR_BAD_URL', async () => {
  await assert.rejects(connectDatabase({ url: 'redis://127.0.0.1:6379' }), {
    code: 'DB_ERR_BAD_URL',
  });
  await assert.rejects(connectDatabase({ url: 'nonsense' }), { code: 'DB_ERR_BAD_URL' });
  assert.equal(redactDatabaseUrl('postgresql://a:b@h:5/d'), 'postgresql://a:***@h:5/d');
});

test('query, transaction commit and rollback, a refused statement coded with its SQLSTATE', async () => {
  await db.query('CREATE TABLE t (n int PRIMARY KEY)');
  await db.transaction(async (q) => {
    await q.query('INSERT INTO t VALUES ($1)', [1]);
  });
  await assert.rejects(
    db.transaction(async (q) => {
      await q.query('INSERT INTO t VALUES ($1)', [2]);
      throw new Error('changed my mind');
    }),
    /changed my mind/,
  );
  await assert.rejects(db.query('INSERT INTO t VALUES (1)'), {
    code: 'DB_ERR_QUERY',
    sqlState: '23505',
  });
  const rows = await db.query<{ n: number }>('SELECT n FROM t ORDER BY n');
  assert.deepEqual(rows.rows, [{ n: 1 }]);
  const who = await db.query<{ a: string }>('SELECT current_setting($1) AS a', [
    'application_name',
  ]);
  assert.equal(who.rows[0]?.a, 'tracelab-test');
});

test('resizePool: a pool of one makes the second of two transactions wait its turn, then both finish', async () => {
  await db.resizePool(1);
  const order: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const first = db.transaction(async (q) => {
    await q.query('SELECT 1');
    order.push('first in');
    await gate;
    order.push('first out');
  });
  const second = db.transaction(async (q) => {
    await q.query('SELECT 1');
    order.push('second in');
  });
  await new Promise((r) => setTimeout(r, 100));
  release();
  await Promise.all([first, second]);
  assert.deepEqual(order, ['first in', 'first out', 'second in']);
  await db.resizePool(4);
  await db.ping();
});

test('a pool that stays busy past the connect timeout: DB_ERR_POOL_TIMEOUT', async () => {
  const small = await connectDatabase({ url: tdb.url, poolSize: 1, connectTimeoutMs: 200 });
  try {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const holder = small.transaction(async () => gate);
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(small.query('SELECT 1'), { code: 'DB_ERR_POOL_TIMEOUT' });
    release();
    await holder;
  } finally {
    await small.close();
  }
});

test('closed: a coded error, not a hang', async () => {
  const d = await connectDatabase({ url: tdb.url, poolSize: 1 });
  await d.close();
  await assert.rejects(d.query('SELECT 1'), { code: 'DB_ERR_CLOSED' });
});
