/**
 * Orders per second through the whole system, `tracelab up --workload none` (HTTP, four
 * services, tracing and export to the collector, Redis records), beside the bare four-stage
 * Redis Streams pipeline of ../shared/tools/bare-bus-bench, in one run: the cost of
 * everything but the work.
 *
 *   npm run bench:pipeline [-- ORDERS [CONCURRENCY]]   (default 2000 orders, 32 in flight)
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { deleteKeys } from '../test/helpers/redis.js';
import { ON_FREE_PORTS } from '../test/helpers/system.js';
import { bareBusRate } from './bare-bus.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CLI = join(__dirname, '..', 'src', 'cli', 'main.js');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main() {
  const orders = Number(process.argv[2] ?? 2000);
  const inFlight = Number(process.argv[3] ?? 32);
  const prefix = `bench-${randomUUID().slice(0, 8)}:`;
  const up = spawn(
    process.execPath,
    [
      CLI,
      'up',
      '--workload',
      'none',
      ...ON_FREE_PORTS,
      '--key-prefix',
      prefix,
      '--redis-url',
      REDIS_URL,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  let out = '';
  up.stdout.on('data', (d: Buffer) => (out += d.toString()));
  up.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const apiUrl = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /^ {2}API +(\S+)/m.exec(out);
      if (m) {
        clearInterval(timer);
        resolve(m[1]!);
      } else if (up.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`tracelab up exited:\n${out}`));
      }
    }, 100);
  });
  const redis = new Redis(REDIS_URL);
  try {
    // Warm-up: connections, JIT, consumer groups.
    await post(apiUrl, 'warm-up');
    await waitForCount(redis, prefix, 1);

    const latenciesMs: number[] = [];
    const t0 = performance.now();
    let next = 0;
    let lastShown = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < orders) {
          next++;
          const start = performance.now();
          await post(apiUrl, 'bench');
          latenciesMs.push(performance.now() - start);
          if (latenciesMs.length - lastShown >= orders / 20) {
            lastShown = latenciesMs.length;
            process.stderr.write(`\r  sent ${latenciesMs.length}/${orders}`);
          }
        }
      }),
    );
    const acceptedMs = performance.now() - t0;
    await waitForCount(redis, prefix, orders + 1);
    const endToEndMs = performance.now() - t0;
    process.stderr.write('\n');
    latenciesMs.sort((a, b) => a - b);
    const rate = Math.round((orders / endToEndMs) * 1000);

    const bareRate = bareBusRate(orders * 5);
    console.log(
      JSON.stringify({
        bench: 'tracelab up --workload none',
        orders,
        in_flight: inFlight,
        accepted_per_s: Math.round((orders / acceptedMs) * 1000),
        end_to_end_orders_per_s: rate,
        post_latency_ms: {
          p50: Number(percentile(latenciesMs, 50).toFixed(1)),
          p99: Number(percentile(latenciesMs, 99).toFixed(1)),
        },
      }),
    );
    if (bareRate) {
      console.log(
        JSON.stringify({ bench: 'bare-bus', orders: orders * 5, orders_per_s: bareRate }),
      );
      console.log(JSON.stringify({ pipeline_vs_bare: Number((rate / bareRate).toFixed(3)) }));
    }
  } finally {
    redis.disconnect();
    up.kill('SIGTERM');
    await new Promise((r) => up.once('exit', r));
    await deleteKeys(prefix);
  }
}

async function post(apiUrl: string, item: string): Promise<void> {
  const res = await fetch(`${apiUrl}/order`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ item, quantity: 1 }),
  });
  if (res.status !== 202) throw new Error(`POST /order: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

async function waitForCount(redis: Redis, prefix: string, n: number): Promise<void> {
  for (;;) {
    if (Number((await redis.hget(`${prefix}analytics:totals`, 'orders')) ?? 0) >= n) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
