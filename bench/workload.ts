/**
 * Each operation at each intensity, scale 1, items at the middle of the spec's range:
 * median duration and the monitor's CPU and memory figures over a few runs; then what the
 * monitor itself costs. Run: npm run build && npm run bench:workload
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { DEFAULT_REDIS_URL } from '../src/config/index.js';
import { createResourceMonitor } from '../src/monitor/index.js';
import type { CpuFigures, ResourceFigures } from '../src/monitor/index.js';
import { runCpuOperation } from '../src/workload/operations/cpu.js';
import { runIoOperation } from '../src/workload/operations/io.js';
import { createCpuPool } from '../src/workload/pool.js';
import { INTENSITIES, ITEM_RANGES, OPERATIONS, WORKLOAD_TYPES } from '../src/workload/types.js';
import type { CpuOperation, IoOperation } from '../src/workload/types.js';

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

async function main(): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL ?? DEFAULT_REDIS_URL, {
    maxRetriesPerRequest: 1,
  });
  const keyPrefix = `tracelab-bench:${randomBytes(4).toString('hex')}:`;
  const pool = createCpuPool();
  const monitor = createResourceMonitor({ intervalMs: 100 });
  const started = performance.now();
  const rows: string[][] = [];
  try {
    await runCpuOperation('intensive_prime_computation', 1000, () => pool); // start the workers
    // Lightest first: RSS is process-wide and Node keeps freed memory a while.
    for (const intensity of INTENSITIES) {
      for (const type of WORKLOAD_TYPES) {
        const operation = OPERATIONS[type][intensity];
        const [min, max] = ITEM_RANGES[type][intensity];
        const items = Math.round((min + max) / 2);
        const durations: number[] = [];
        const figures: ResourceFigures[] = [];
        for (let run = 1; run <= RUNS[intensity]; run++) {
          progress(`${operation} (${intensity}, ${items} items): run ${run}/${RUNS[intensity]}…`);
          const mark = monitor.begin();
          const t0 = performance.now();
          if (type === 'cpu_heavy')
            await runCpuOperation(operation as CpuOperation, items, () => pool, mark);
          else
            await runIoOperation(operation as IoOperation, items, {
              redis,
              keyPrefix,
              ttlSeconds: 60,
            });
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
        ]);
      }
    }
  } finally {
    await pool.close();
    await monitor.close();
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
