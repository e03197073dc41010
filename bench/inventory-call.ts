/**
 * What inventory adds to an order: processing's call (HTTP on a kept-alive connection,
 * inventory's app, the reservation's transaction) beside the transaction alone and one
 * indexed query alone (the stock lookup by `stock_movements_item_idx`), one at a time, on the
 * machine's PostgreSQL with the default catalogue. Untraced (no SDK): the lab's own cost. Each
 * is timed (median) and its CPU counted: this process's, and the database connections' from
 * /proc (the server must run on this machine).
 *
 *   npm run bench:inventory [-- CALLS]      (default 300)
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { parseCommandLine } from '../src/config/index.js';
import { connectDatabase, createInventoryRepository, migrate } from '../src/database/index.js';
import type { Database } from '../src/database/index.js';
import { createFaultInjector } from '../src/faults/index.js';
import { buildInventoryApp, stockBackend } from '../src/services/inventory/index.js';
import { createInventoryClient } from '../src/services/processing/index.js';
import { createLogger } from '../src/telemetry/index.js';
import {
  createWorkload,
  DEFAULT_RESILIENCE,
  workloadOptions,
  workloadSettingsFrom,
} from '../src/workload/index.js';
import { Redis } from 'ioredis';
import { processCpuMs } from './process-tree.js';

const SERVER = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Timed {
  /** Median wall time of one, ms. */
  readonly wallMs: number;
  /** CPU of one, ms: this process (client, app, driver) and the database's connections. */
  readonly cpuMs: number;
  readonly dbCpuMs: number;
}

/** The database server's processes serving `database` (its pool's connections). */
async function backendPids(db: Database, database: string): Promise<number[]> {
  const r = await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [
    database,
  ]);
  return r.rows.map((row) => row.pid);
}

function cpuOf(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (processCpuMs(pid) ?? 0), 0);
}

async function timed(
  n: number,
  pids: () => Promise<number[]>,
  run: (i: number) => Promise<unknown>,
): Promise<Timed> {
  for (let i = 0; i < 20; i++) await run(-1 - i); // warm-up
  const backends = await pids();
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  const db0 = cpuOf(backends);
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await run(i);
    times.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    wallMs: median(times),
    cpuMs: (cpu.user + cpu.system) / 1000 / n,
    dbCpuMs: (cpuOf(backends) - db0) / n,
  };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 300);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`CALLS must be 1 or more, got ${process.argv[2]}`);
  const name = `tracelab_bench_${Date.now()}`;
  const admin = await connectDatabase({ url: SERVER, poolSize: 1 });
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(SERVER);
  url.pathname = `/${name}`;
  const db = await connectDatabase({ url: url.toString(), poolSize: 10 });
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const tracer = trace.getTracer('bench');
  const workload = createWorkload({
    service: 'inventory',
    settings: workloadSettingsFrom(
      parseCommandLine(workloadOptions, ['--workload', 'none'], {}).values,
    ),
    redis,
    tracer,
  });
  const app = buildInventoryApp({
    backend: stockBackend(db),
    workload,
    tracer,
    logger: createLogger('error'),
    faults: createFaultInjector({ service: 'inventory', base: {} }),
  });
  try {
    await migrate(db);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const client = createInventoryClient({
      urls: [`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`],
      policy: () => ({ ...DEFAULT_RESILIENCE, timeoutMs: 5000 }),
    });
    const repo = createInventoryRepository(db);
    const item = (i: number) => `bench item ${Math.abs(i) % 50}`;
    const pids = () => backendPids(admin, name);
    const call = await timed(n, pids, (i) =>
      client.reserve({ id: randomUUID(), item: item(i), quantity: 1, createdAtMs: 0 }),
    );
    const transaction = await timed(n, pids, (i) =>
      repo.reserve({ orderId: randomUUID(), item: item(i), quantity: 1 }),
    );
    const lookup = await timed(n, pids, (i) =>
      db.query('SELECT at FROM stock_movements WHERE item_id = $1 ORDER BY at DESC LIMIT 20', [
        1 + (Math.abs(i) % 2000),
      ]),
    );
    client.close();
    const f = (ms: number) => `${ms.toFixed(2)} ms`.padStart(9);
    const row = (label: string, t: Timed) =>
      console.log(`  ${label.padEnd(44)} ${f(t.wallMs)} ${f(t.cpuMs)} ${f(t.dbCpuMs)}`);
    console.log(`${n} one at a time: median wall time; CPU per call here and in the database`);
    console.log(
      `  ${''.padEnd(44)} ${'wall'.padStart(9)} ${'cpu'.padStart(9)} ${'db cpu'.padStart(9)}`,
    );
    row("processing's call (HTTP + app + transaction)", call);
    row("the reservation's transaction alone", transaction);
    row('one indexed query (the stock lookup)', lookup);
    const added = call.cpuMs + call.dbCpuMs - transaction.cpuMs - transaction.dbCpuMs;
    console.log(`  the call's CPU over its transaction's         ${f(added)}`);
    console.log(
      `  the call and one indexed query, CPU           ${f(added + lookup.cpuMs + lookup.dbCpuMs)}  (aim ≤ 0.5 ms)`,
    );
  } finally {
    await app.close();
    await workload.close();
    redis.disconnect();
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
