import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectDatabase } from '../../src/database/index.js';
import type { Database } from '../../src/database/index.js';
import { parentOf, serviceOf, tag } from '../helpers/jaeger.js';
import type { JaegerSpan, JaegerTrace } from '../helpers/jaeger.js';
import {
  isPg,
  ordersThrough as ordersOf,
  setDatabaseFaults,
  setFaults as setFaultsOf,
  statementOf as text,
  switchFaults as switchFaultsOf,
} from '../helpers/inventory-orders.js';
import { createSeededTestDatabase } from '../helpers/seeded-database.js';
import type { TestDatabase } from '../helpers/postgres.js';
import { postOrder, startSystem, waitForCompleted } from '../helpers/system.js';
import type { RunningSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

const end = (s: JaegerSpan) => s.startTime + s.duration;

/**
 * `tracelab up` on a database of its own, two inventory replicas: orders go processing →
 * inventory over HTTP, in one trace, and each inventory fault shows in it.
 */
describe('inventory in the lab', () => {
  let tdb: TestDatabase;
  let db: Database;
  let system: RunningSystem;

  before(async () => {
    tdb = await createSeededTestDatabase();
    system = await startSystem([
      '--database-url',
      tdb.url,
      '--scale',
      'inventory=2',
      '--workload',
      'none',
      '--concurrency',
      '4',
      '--inventory-timeout-ms',
      '1000',
    ]);
    db = await connectDatabase({ url: tdb.url, poolSize: 2 });
  });
  after(async () => {
    await system?.stop();
    await db?.close();
    await tdb?.drop();
  });

  const setFaults = (...set: string[]) => setFaultsOf(system, ...set);
  /** A fault off, read by the services before the next test's `setFaults` has waited. */
  const switchOff = (...set: string[]) => switchFaultsOf(system, ...set);
  /** A database fault, waited for until both replicas have logged it applied. */
  const setDatabaseFault = (setting: string, applied: RegExp) =>
    setDatabaseFaults(system, applied, 2, setting);
  const ordersThrough = (items: readonly string[]) => ordersOf(system, items);

  const reservationsOf = async (ids: readonly string[]) =>
    (
      await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM reservations WHERE order_id = ANY($1::uuid[])',
        [ids],
      )
    ).rows[0]?.n;

  test("one trace: processing's client call, inventory's server span, stage and statements", async () => {
    const [trace] = await ordersThrough(['a traced teapot']);
    const t = trace!;
    const server = t.spans.find(
      (s) => serviceOf(t, s) === 'inventory-service' && tag(s, 'span.kind') === 'server',
    );
    assert.ok(server, 'inventory has a server span');
    assert.equal(server.operationName, 'POST /reservations');
    const client = parentOf(t, server);
    assert.ok(client);
    assert.equal(serviceOf(t, client), 'processing-service');
    assert.equal(tag(client, 'span.kind'), 'client');
    assert.equal(parentOf(t, client)?.operationName, 'process_order');
    const stage = t.spans.find((s) => s.operationName === 'reserve_stock');
    assert.equal(parentOf(t, stage!)?.spanID, server.spanID);
    const step = t.spans.find((s) => s.operationName === 'stock_check');
    assert.equal(parentOf(t, step!)?.spanID, stage!.spanID);
    const statements = t.spans.filter(isPg);
    assert.ok(statements.length >= 5, `${statements.length} statements`);
    for (const s of statements) assert.equal(serviceOf(t, s), 'inventory-service');
    assert.ok(statements.some((s) => text(s).startsWith('INSERT INTO reservations')));
  });

  test('calls spread over both replicas', async () => {
    const traces = await ordersThrough(['kettle', 'cup', 'saucer', 'spoon']);
    const pids = new Set(
      traces.map((t) => {
        const server = t.spans.find((s) => s.operationName === 'POST /reservations')!;
        return tag({ tags: t.processes[server.processID]!.tags }, 'process.pid');
      }),
    );
    assert.equal(pids.size, 2, `inventory process ids: ${[...pids].join(', ')}`);
  });

  test('an order whose call timed out is delivered again and reserved once', async () => {
    const before = await db.query<{ total: string }>(
      'SELECT sum(quantity)::text AS total FROM stock',
    );
    // Slower than processing's 1 s: each call is given up and the order redelivered, while
    // inventory goes on and reserves it; once inventory is quick again, the order completes.
    await setFaults('inventory.latency=1500ms');
    const a = await postOrder(system.apiUrl, { item: 'a slow saucepan', quantity: 3 });
    await waitFor(
      'a reservation made after its call was given up',
      async () => ((await reservationsOf([a.id])) === 1 ? true : undefined),
      20_000,
      200,
    );
    await new Promise((r) => setTimeout(r, 1500));
    // Not waited for: the order completes only once inventory has read it.
    await switchOff('inventory.latency=off');
    await waitForCompleted(system.apiUrl, [a.id], 30_000);
    assert.equal(await reservationsOf([a.id]), 1);
    const stock = await db.query<{ total: string }>(
      'SELECT sum(quantity)::text AS total FROM stock',
    );
    assert.equal(
      BigInt(before.rows[0]!.total) - BigInt(stock.rows[0]!.total),
      3n,
      'decremented once',
    );
  });

  test('n_plus_one: one single-row statement per stock row, all under one parent', async () => {
    await setFaults('inventory.n_plus_one=8');
    const [t] = await ordersThrough(['n plus one']);
    await switchOff('inventory.n_plus_one=off');
    const byParent = new Map<string, string[]>();
    for (const s of t!.spans.filter(isPg)) {
      const p = parentOf(t!, s)?.spanID ?? '';
      byParent.set(p, [...(byParent.get(p) ?? []), text(s)]);
    }
    const most = Math.max(
      ...[...byParent.values()].map((texts) => {
        const counts = new Map<string, number>();
        for (const x of texts) counts.set(x, (counts.get(x) ?? 0) + 1);
        return Math.max(...counts.values());
      }),
    );
    assert.ok(most >= 8, `the same statement ${most} times under one parent`);
  });

  test('lock: the hot counters row is updated inside the transaction', async () => {
    await setFaults('inventory.lock=on');
    const [t] = await ordersThrough(['locked']);
    await switchOff('inventory.lock=off');
    assert.ok(
      t!.spans.some((s) => isPg(s) && /^UPDATE counters/.test(text(s))),
      t!.spans.map(text).join('\n'),
    );
  });

  test('db_pool=1: concurrent reservations wait for the one connection', async () => {
    await setDatabaseFault('inventory.db_pool=1', /database pool: 1 connection/);
    const traces = await ordersThrough(['p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    await setDatabaseFault('inventory.db_pool=off', /database pool: \d+ connection/);
    const spans = traces.flatMap((t) =>
      t.spans.map((s) => ({ s, pid: t.processes[s.processID]!.tags })),
    );
    const connects = spans.filter((x) => x.s.operationName === 'pg-pool.connect');
    const commits = spans.filter((x) => text(x.s).startsWith('COMMIT'));
    assert.ok(connects.length > 0, 'pool waits are spans');
    // A wait that began before another reservation's COMMIT and ended after it: it was held
    // up by the one connection being in use.
    const waited = connects.some((c) =>
      commits.some(
        (m) =>
          m.s.traceID !== c.s.traceID &&
          tag({ tags: m.pid }, 'process.pid') === tag({ tags: c.pid }, 'process.pid') &&
          c.s.startTime < m.s.startTime &&
          end(c.s) >= end(m.s),
      ),
    );
    assert.ok(waited, 'a reservation waited for a pooled connection');
  });

  test('slow_query: the lookup is slower without its index, and fast again with it', async () => {
    const lookup = (t: JaegerTrace) =>
      t.spans.find((s) => isPg(s) && /FROM stock_movements/.test(text(s)));
    // Three orders each way, one at a time, and the fastest of each: a single lookup can land
    // on a busy moment of a shared machine; the scan is never as fast as the indexed lookup.
    const fastest = async (names: readonly string[]) => {
      const spans = [];
      for (const name of names) {
        const [t] = await ordersThrough([name]);
        const span = lookup(t!);
        assert.ok(span, 'the lookup is a span');
        spans.push(span);
      }
      return spans.sort((x, y) => x.duration - y.duration)[0]!;
    };
    const a = await fastest(['indexed 1', 'indexed 2', 'indexed 3']);
    await setDatabaseFault('inventory.slow_query=on', /lookup index dropped/);
    const b = await fastest(['scanned 1', 'scanned 2', 'scanned 3']);
    await setDatabaseFault('inventory.slow_query=off', /lookup index recreated/);
    assert.equal(text(a), text(b), 'the same statement');
    assert.ok(
      b.duration > a.duration * 3,
      `${b.duration} µs without the index, ${a.duration} µs with (the fastest of three)`,
    );
    const again = await fastest(['indexed again']);
    assert.ok(
      again.duration * 3 < b.duration,
      `${again.duration} µs with the index back, ${b.duration} µs without`,
    );
  });
});
