/**
 * Where the lab's PostgreSQL comes from, and what each costs: the time to have it (a private
 * server's initdb and start; PGlite's start), `migrate` with the default catalogue (2,000
 * items, 200,000 stock movements), and the median of one reservation (its transaction, about
 * ten statements, one client, one at a time) on the machine's server, a private one and PGlite.
 *
 *   npm run bench:database [-- RESERVATIONS]      (default 200)
 */
import { randomUUID } from 'node:crypto';
import { connectDatabase, createInventoryRepository, migrate } from '../src/database/index.js';
import { ensureDatabase } from '../src/supervisor/index.js';
import type { DatabaseHandle } from '../src/supervisor/index.js';

const SERVER = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(
  label: string,
  start: () => Promise<DatabaseHandle>,
  n: number,
): Promise<void> {
  const t0 = performance.now();
  const handle = await start();
  const ready = performance.now() - t0;
  const db = await connectDatabase({ url: handle.url, poolSize: 2 });
  try {
    const t1 = performance.now();
    await migrate(db);
    const migrated = performance.now() - t1;
    const repo = createInventoryRepository(db);
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await repo.reserve({ orderId: randomUUID(), item: `bench item ${i % 50}`, quantity: 1 });
      times.push(performance.now() - t);
    }
    console.log(
      `${label.padEnd(22)} ready ${ready.toFixed(0).padStart(6)} ms   migrate ${migrated.toFixed(0).padStart(6)} ms   reserve median ${median(times).toFixed(2)} ms`,
    );
  } finally {
    await db.close();
    await handle.stop();
  }
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 200);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`RESERVATIONS must be 1 or more, got ${process.argv[2]}`);
  // A database of its own on the machine's server, dropped after.
  const name = `tracelab_bench_${Date.now()}`;
  const admin = await connectDatabase({ url: SERVER, poolSize: 1 });
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(SERVER);
  url.pathname = `/${name}`;
  try {
    await measure(
      "the machine's server",
      () => ensureDatabase({ url: url.toString(), mode: 'auto' }),
      n,
    );
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.close();
  }
  await measure('a private postgres', () => ensureDatabase({ mode: 'postgres' }), n);
  await measure('PGlite', () => ensureDatabase({ mode: 'pglite' }), n);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
