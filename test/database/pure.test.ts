import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fnv1a, hashedItemId } from '../../src/database/catalogue.js';
import { toDatabaseError } from '../../src/database/errors.js';
import { operationName } from '../../src/telemetry/pg-hooks.js';

test("FNV-1a: the reference vectors, over the text's UTF-8 bytes", () => {
  assert.equal(fnv1a(''), 0x811c9dc5);
  assert.equal(fnv1a('a'), 0xe40c292c);
  assert.equal(fnv1a('foobar'), 0xbf9cf968);
  assert.equal(fnv1a('é'), fnv1a('\u00e9'));
  assert.notEqual(fnv1a('é'), fnv1a('e\u0301'), 'bytes, not graphemes');
});

test('a free-text item maps into 1..size, the same every time', () => {
  for (const text of ['teapot', 'a blue teapot', '', '☕'.repeat(40)]) {
    const id = hashedItemId(text, 2000);
    assert.ok(id >= 1 && id <= 2000, `${text}: ${id}`);
    assert.equal(hashedItemId(text, 2000), id);
  }
  assert.equal(hashedItemId('anything', 1), 1);
});

test("pg's failures, coded: down, a busy pool, a cancelled statement, a refused one", () => {
  const where = 'postgres://u:***@h:5432/d';
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
    code: 'ECONNREFUSED',
  });
  assert.equal(toDatabaseError(refused, where).code, 'DB_ERR_UNREACHABLE');
  assert.equal(
    toDatabaseError(refused, where).message,
    `cannot reach PostgreSQL at ${where} (connection refused)`,
  );
  const wait = new Error('timeout exceeded when trying to connect');
  assert.equal(toDatabaseError(wait, where, true).code, 'DB_ERR_POOL_TIMEOUT');
  assert.equal(toDatabaseError(wait, where, false).code, 'DB_ERR_UNREACHABLE');
  const sql = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code });
  assert.equal(toDatabaseError(sql('57014'), where).code, 'DB_ERR_STATEMENT_TIMEOUT');
  assert.equal(toDatabaseError(sql('57P01'), where).code, 'DB_ERR_UNREACHABLE');
  assert.equal(toDatabaseError(sql('3D000'), where).code, 'DB_ERR_UNREACHABLE');
  assert.equal(toDatabaseError(sql('28P01'), where).code, 'DB_ERR_UNREACHABLE');
  const dup = toDatabaseError(sql('23505'), where);
  assert.equal(dup.code, 'DB_ERR_QUERY');
  assert.equal(dup.sqlState, '23505');
  assert.equal(
    toDatabaseError(new Error('Connection terminated unexpectedly'), where).code,
    'DB_ERR_UNREACHABLE',
  );
  assert.equal(toDatabaseError(new Error('something else'), where).code, 'DB_ERR_QUERY');
});

test("db.operation.name: the statement's first word, upper-cased", () => {
  assert.equal(operationName('SELECT 1'), 'SELECT');
  assert.equal(operationName('  \n insert INTO t VALUES ($1)'), 'INSERT');
  assert.equal(operationName('COMMIT;'), 'COMMIT');
  assert.equal(operationName('BEGIN'), 'BEGIN');
});
