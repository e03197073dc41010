/**
 * Each operation at each intensity, scale 1, items at the middle of the spec's range:
 * median duration and the monitor's CPU and memory figures over a few runs; then what the
 * monitor itself costs. Run: npm run build && npm run bench:workload
 *
 * Types to run may be named: `node dist/bench/workload.js db_heavy network_heavy`. db_heavy
 * runs in a database of its own (`tracelab_bench_<random>`, the default catalogue, dropped
 * after) on the server of BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { DEFAULT_REDIS_URL } from '../src/config/index.js';
import { connectDatabase, migrate } from '../src/database/index.js';
import type { Database } from '../src/database/index.js';
import { createResourceMonitor } from '../src/monitor/index.js';
import type { CpuFigures, ResourceFigures } from '../src/monitor/index.js';
import { runCpuOperation } from '../src/workload/operations/cpu.js';
import { runDbOperation } from '../src/workload/operations/db.js';
import { runIoOperation } from '../src/workload/operations/io.js';
import { runNetworkOperation, startEchoServer } from '../src/workload/operations/network.js';
import type { EchoServer } from '../src/workload/operations/network.js';
import { createCpuPool } from '../src/workload/pool.js';
import { INTENSITIES, ITEM_RANGES, OPERATIONS, WORKLOAD_TYPES } from '../src/workload/types.js';
import type {
  CpuOperation,
  DbOperation,
  IoOperation,
  NetworkOperation,
  WorkloadType,
} from '../src/workload/types.js';

const RUNS = { light: 7, medium: 5, heavy: 3, severe: 2 } as const;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Median of the measured spans' figure; "–" when no span was long enough to measure. */
function cpuMedian(figures: readonly ResourceFigures[], pick: (c: CpuFigures) => number): string {
  const values = figures.flatMap((f) => (f.cpu ? [pick(f.cpu)] : []));
  return values.length ? median(values).toFixed(0) : '–';
}

function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
  else process.stderr.write(`${text}\n`);
}

async function monitorCost(): Promise<{ idlePercent: number; monitoredPercent: number }> {
  const windowMs = 3000;
  const idle = async (): Promise<number> => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(windowMs);
    const cpu = process.cpuUsage(cpu0);
    return (cpu.user + cpu.system) / (performance.now() - t0) / 10;
  };
  progress('monitor cost: idle process…');
  const idlePercent = await idle();
  const monitor = createResourceMonitor({ intervalMs: 100 });
  await sleep(300);
  progress('monitor cost: idle process with the monitor at 100 ms…');
  const monitoredPercent = await idle();
  await monitor.close();
  return { idlePercent, monitoredPercent };
}

const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A database of the bench's own, with the inventory schema at its default size. */
async function benchDatabase(): Promise<{ db: Database; drop(): Promise<void> }> {
  const name = `tracelab_bench_${randomBytes(4).toString('hex')}`;
  const admin = await connectDatabase({ url: ADMIN_URL, poolSize: 1 });
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = await connectDatabase({ url: url.toString(), poolSize: 2 });
  progress(`${name}: migrating (2000 items, 200 000 movements)…`);
  await migrate(db);
  return {
    db,
    async drop() {
      await db.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    },
  };
}

/** What one run did, from the operation's own result, for the table's last column. */
type Did = string;

function size(bytes: number): string {
  if (bytes < 2 ** 20) return `${+(bytes / 1024).toFixed(1)} KiB`;
  return `${+(bytes / 2 ** 20).toFixed(1)} MiB`;
}

async function main(): Promise<void> {
  const named = process.argv.slice(2);
  for (const t of named) {
    if (!(WORKLOAD_TYPES as readonly string[]).includes(t)) {
      throw new Error(`unknown type "${t}"; valid types: ${WORKLOAD_TYPES.join(', ')}`);
    }
  }
  const types: readonly WorkloadType[] = named.length
    ? WORKLOAD_TYPES.filter((t) => named.includes(t))
    : WORKLOAD_TYPES;
  const redis = new Redis(process.env.REDIS_URL ?? DEFAULT_REDIS_URL, {
    maxRetriesPerRequest: 1,
  });
  const keyPrefix = `tracelab-bench:${randomBytes(4).toString('hex')}:`;
  const pool = createCpuPool();
  const database = types.includes('db_heavy') ? await benchDatabase() : undefined;
  const echo: EchoServer | undefined = types.includes('network_heavy')
    ? await startEchoServer()
    : undefined;
  const monitor = createResourceMonitor({ intervalMs: 100 });
  const started = performance.now();
  const rows: string[][] = [];
  const run = async (
    type: WorkloadType,
    operation: string,
    items: number,
    mark: ReturnType<typeof monitor.begin>,
  ): Promise<Did> => {
    switch (type) {
      case 'cpu_heavy':
        await runCpuOperation(operation as CpuOperation, items, () => pool, mark);
        return '';
      case 'io_heavy': {
        const r = await runIoOperation(operation as IoOperation, items, {
          redis,
          keyPrefix,
          ttlSeconds: 60,
        });
        return `${r.redisOps} Redis commands`;
      }
      case 'db_heavy': {
        const r = await runDbOperation(operation as DbOperation, items, database!.db);
        return `${r.statements} statement${r.statements === 1 ? '' : 's'}, ${r.rowsRead} rows read`;
      }
      case 'network_heavy': {
        const r = await runNetworkOperation(operation as NetworkOperation, items, echo!.port);
        return `${r.roundTrips} × ${size(r.payloadBytes)}, ${size(r.bytesSent)} each way`;
      }
    }
  };
  try {
    await runCpuOperation('intensive_prime_computation', 1000, () => pool); // start the workers
    // Lightest first: RSS is process-wide and Node keeps freed memory a while.
    for (const intensity of INTENSITIES) {
      for (const type of types) {
        const operation = OPERATIONS[type][intensity];
        const [min, max] = ITEM_RANGES[type][intensity];
        const items = Math.round((min + max) / 2);
        const durations: number[] = [];
        const figures: ResourceFigures[] = [];
        let did: Did = '';
        for (let i = 1; i <= RUNS[intensity]; i++) {
          progress(`${operation} (${intensity}, ${items} items): run ${i}/${RUNS[intensity]}…`);
          const mark = monitor.begin();
          const t0 = performance.now();
          did = await run(type, operation, items, mark);
          durations.push(performance.now() - t0);
          figures.push(monitor.measure(mark));
        }
        rows.push([
          operation,
          intensity,
          String(items),
          String(RUNS[intensity]),
          median(durations).toFixed(durations[0]! < 100 ? 1 : 0),
          cpuMedian(figures, (c) => c.avg),
          cpuMedian(figures, (c) => c.max),
          `${figures.filter((f) => f.cpu).length}/${figures.length}`,
          median(figures.map((f) => f.memoryMaxMb)).toFixed(0),
          median(figures.map((f) => f.samples)).toFixed(0),
          did,
        ]);
      }
    }
  } finally {
    await pool.close();
    await monitor.close();
    await echo?.close();
    await database?.drop();
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  }
  const cost = await monitorCost();
  progress('');
  const head = [
    'operation',
    'intensity',
    'items',
    'runs',
    'median ms',
    'cpu.avg %',
    'cpu.max %',
    'cpu measured',
    'memory.max MB',
    'samples',
    'one run did',
  ];
  const table = [head, head.map(() => '---'), ...rows]
    .map((r) => `| ${r.join(' | ')} |`)
    .join('\n');
  process.stdout.write(
    `Workload operations at scale 1 (node ${process.version}, ${availableParallelism()} cores, ` +
      `load average ${loadavg()[0]!.toFixed(1)}, ` +
      `${((performance.now() - started) / 1000).toFixed(0)} s)\n\n${table}\n\n` +
      `Monitor cost at 100 ms: idle process ${cost.idlePercent.toFixed(2)} % CPU, ` +
      `with the monitor ${cost.monitoredPercent.toFixed(2)} % ` +
      `(sampler ≈ ${(cost.monitoredPercent - cost.idlePercent).toFixed(2)} % of one core)\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
