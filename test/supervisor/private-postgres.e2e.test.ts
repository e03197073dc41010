import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { connectDatabase, createInventoryRepository, migrate } from '../../src/database/index.js';
import { ensureDatabase, findPostgresBinaries } from '../../src/supervisor/index.js';
import { waitFor } from '../helpers/wait.js';

const noBinaries = findPostgresBinaries() ? false : "PostgreSQL's programs are not installed";
const SUPERVISOR = join(__dirname, '..', '..', 'src', 'supervisor', 'index.js');

const dataDirOf = (describe: string): string => {
  const dir = /data in (\S+),/.exec(describe)?.[1];
  assert.ok(dir, describe);
  return dir;
};

async function refuses(url: string): Promise<boolean> {
  try {
    const db = await connectDatabase({ url, poolSize: 1, connectTimeoutMs: 500 });
    await db.close();
    return false;
  } catch (err) {
    return (err as { code?: string }).code === 'DB_ERR_UNREACHABLE';
  }
}

test(
  'a private postgres: it answers, serves the inventory, and is gone with its directory on stop',
  { skip: noBinaries },
  async () => {
    const handle = await ensureDatabase({ mode: 'postgres' });
    const dir = dataDirOf(handle.describe);
    const db = await connectDatabase({ url: handle.url, poolSize: 4 }).catch(
      async (err: unknown) => {
        await handle.stop();
        throw err;
      },
    );
    try {
      assert.equal(handle.kind, 'private');
      assert.match(handle.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
      assert.ok(existsSync(dir));
      await migrate(db, { catalogueSize: 30, movementsPerItem: 5 });
      const repo = createInventoryRepository(db);
      const order = { orderId: randomUUID(), item: 'private teapot', quantity: 1 };
      const results = await Promise.all(Array.from({ length: 4 }, () => repo.reserve(order)));
      assert.equal(results.filter((r) => !r.repeated).length, 1);
      await handle.stop();
      assert.equal(existsSync(dir), false, `${dir} removed`);
      // The server gone under an open pool: each call fails at once with a coded error.
      await assert.rejects(repo.reserve({ ...order, orderId: randomUUID() }), {
        code: 'DB_ERR_UNREACHABLE',
      });
      await assert.rejects(db.ping(), { code: 'DB_ERR_UNREACHABLE' });
      assert.equal(await refuses(handle.url), true);
    } finally {
      await db.close();
      await handle.stop();
    }
  },
);

test(
  'auto takes the private postgres when the binaries are there',
  { skip: noBinaries },
  async () => {
    const handle = await ensureDatabase({ mode: 'auto' });
    try {
      assert.equal(handle.kind, 'private');
    } finally {
      await handle.stop();
    }
  },
);

test(
  'up SIGKILLed: its private postgres stops and its directory goes',
  { skip: noBinaries },
  async () => {
    // A stand-in for `tracelab up`: starts the server, says where, then waits to be killed.
    const script = `require(${JSON.stringify(SUPERVISOR)}).ensureDatabase({ mode: 'postgres' })
    .then((h) => console.log(JSON.stringify(h)), (e) => { console.error(e); process.exit(1); });
    setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: parent.stdout }).once('line', resolve);
      parent.once('exit', (code) => reject(new Error(`the parent exited with ${code}`)));
    });
    const handle = JSON.parse(line) as { url: string; describe: string };
    const dir = dataDirOf(handle.describe);
    assert.equal(await refuses(handle.url), false, 'it answers while its parent lives');
    parent.kill('SIGKILL');
    await waitFor(
      'the private postgres to stop',
      async () => (await refuses(handle.url)) || undefined,
      15_000,
      200,
    );
    await waitFor(`${dir} to be removed`, () => !existsSync(dir) || undefined, 15_000, 200);
  },
);

test('a server named that does not answer: a quick clear error saying where and what to do', async () => {
  await assert.rejects(
    ensureDatabase({ url: 'postgres://u:pw@127.0.0.1:1/x', mode: 'auto' }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SUP_ERR_DATABASE_UNREACHABLE');
      assert.match(
        err.message,
        /^cannot use PostgreSQL at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x: cannot reach PostgreSQL/,
      );
      assert.match(err.message, /--database-url/);
      assert.doesNotMatch(err.message, /pw/);
      return true;
    },
  );
});

test('a server named that answers is used as it is, stopped by nobody', async () => {
  const url = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const handle = await ensureDatabase({ url, mode: 'pglite' });
  assert.equal(handle.kind, 'server');
  assert.equal(handle.describe, `PostgreSQL at ${url}`);
  await handle.stop();
  assert.equal(await refuses(url), false);
});
