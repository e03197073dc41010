import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectDatabase } from '../../src/database/index.js';
import { freePort } from '../../src/supervisor/free-port.js';
import { noPostgresBinaries, privatePostgres } from '../helpers/private-postgres.js';
import type { PrivatePostgres } from '../helpers/private-postgres.js';
import { getOrder, postOrder, startSystem, waitForCompleted } from '../helpers/system.js';
import type { RunningSystem } from '../helpers/system.js';

const OUTAGE_MS = 10_000;

/** The sum of every stock row and the reservations, read on a connection of its own. */
async function snapshot(url: string) {
  const db = await connectDatabase({ url, poolSize: 1 });
  try {
    const stock = await db.query<{ total: string }>(
      'SELECT sum(quantity)::text AS total FROM stock',
    );
    const rows = await db.query<{ order_id: string; quantity: number; status: string }>(
      'SELECT order_id::text, quantity, status FROM reservations',
    );
    return { stock: BigInt(stock.rows[0]!.total), reservations: rows.rows };
  } finally {
    await db.close();
  }
}

/**
 * inventory's PostgreSQL goes away for ten seconds while orders keep coming: processing's calls
 * fail quickly, the orders wait on the bus, and once the server is back every accepted order
 * completes, each reserved once, the stock decremented once per order.
 */
describe('a database outage', { skip: noPostgresBinaries && 'no PostgreSQL binaries' }, () => {
  let pg: PrivatePostgres;
  let system: RunningSystem;

  before(async () => {
    pg = await privatePostgres(await freePort());
    system = await startSystem([
      '--database-url',
      pg.url,
      '--workload',
      'none',
      '--inventory-timeout-ms',
      '2000',
    ]);
  });
  after(async () => {
    await system?.stop();
    await pg?.remove();
  });

  test('loses nothing and reserves nothing twice', async () => {
    const start = await snapshot(pg.url);
    const ids: string[] = [];
    let quantity = 0;
    const send = async (n: number, label: string) => {
      for (let i = 0; i < n; i++) {
        const q = 1 + (i % 3);
        ids.push((await postOrder(system.apiUrl, { item: `${label}-${i}`, quantity: q })).id);
        quantity += q;
        await new Promise((r) => setTimeout(r, 150));
      }
    };
    await send(4, 'before');
    await pg.stop();
    const down = Date.now();
    await send(6, 'during');
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - down))));
    // Nothing in the outage got through, and nothing was given up on either.
    const during = await Promise.all(ids.slice(4).map((id) => getOrder(system.apiUrl, id)));
    assert.ok(
      during.every((o) => o.status === 'in_progress'),
      JSON.stringify(during.map((o) => o.status)),
    );
    await pg.start();
    await send(4, 'after');

    const done = await waitForCompleted(system.apiUrl, ids, 60_000);
    assert.equal(done.length, ids.length);
    const end = await snapshot(pg.url);
    const reserved = end.reservations.filter((r) => ids.includes(r.order_id));
    assert.equal(reserved.length, ids.length, 'one reservation per order');
    assert.equal(new Set(reserved.map((r) => r.order_id)).size, ids.length);
    const taken = reserved
      .filter((r) => r.status === 'reserved')
      .reduce((n, r) => n + r.quantity, 0);
    assert.equal(start.stock - end.stock, BigInt(taken), 'the stock decremented once per order');
    assert.equal(taken, quantity, 'every order found its stock');
    assert.doesNotMatch(system.output(), /dead-lettered/);
  });
});
