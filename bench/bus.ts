/**
 * Messages per second through a four-hop Redis Streams chain (orders → processed →
 * notified → counted), one process per stage, one message at a time per consumer, no work:
 * the Redis Streams adapter untraced and traced (batch span processor, exporter that drops),
 * beside the bare XREADGROUP/XADD/XACK pipeline of ../shared/tools/bare-bus-bench, in one run.
 *
 *   npm run bench:bus [-- ORDERS]      (default 20000; needs Redis at REDIS_URL)
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import { ExportResultCode } from '@opentelemetry/core';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { Redis } from 'ioredis';
import { createRedisStreamsBus, encodeEntry } from '../src/bus/redis-streams.js';
import { withTracing } from '../src/bus/traced-bus.js';
import { DEFAULT_REDIS_URL } from '../src/config/index.js';
import { PreciseSpanTimes } from '../src/telemetry/precise-span-times.js';
import { bareBusRate } from './bare-bus.js';

const REDIS_URL = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
const STAGES: [string, string | undefined][] = [
  ['orders', 'processed-orders'],
  ['processed-orders', 'notified-orders'],
  ['notified-orders', undefined],
];

/** Spans are made, batched and handed over, then dropped: the cost of tracing, not of a network. */
class DroppingExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    done({ code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

async function stage(keyPrefix: string, from: string, to: string | undefined, traced: boolean) {
  let sdk: NodeTracerProvider | undefined;
  if (traced) {
    sdk = new NodeTracerProvider({
      spanProcessors: [new PreciseSpanTimes(), new BatchSpanProcessor(new DroppingExporter())],
    });
    sdk.register();
  }
  const raw = await createRedisStreamsBus({ redisUrl: REDIS_URL, keyPrefix });
  const bus = traced ? withTracing(raw, { tracer: trace.getTracer('bench') }) : raw;
  const counter = to ? undefined : new Redis(REDIS_URL);
  await bus.consume(from, { group: `${from}-group`, consumer: `c${process.pid}` }, async (m) => {
    if (to) await bus.publish(to, { value: m.value, headers: m.headers });
    else await counter!.incr(`${keyPrefix}done`);
  });
  process.send?.('ready');
  process.on('SIGTERM', () => {
    void bus
      .close()
      .then(() => sdk?.shutdown())
      .finally(() => process.exit(0));
  });
}

async function runChain(orders: number, traced: boolean): Promise<number> {
  const keyPrefix = `tracelab-bench-${randomBytes(4).toString('hex')}:`;
  const children: ChildProcess[] = [];
  const redis = new Redis(REDIS_URL);
  try {
    for (const [from, to] of STAGES) {
      const child = spawn(
        process.execPath,
        [__filename, 'stage', keyPrefix, from, to ?? '-', traced ? 'traced' : 'plain'],
        { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
      );
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code) => reject(new Error(`stage exited with ${code}`)));
      });
    }
    const body = JSON.stringify({ item: 'widget', quantity: 3, id: 'x'.repeat(36) });
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const fields = encodeEntry({ value: body, headers: { traceparent } });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < orders; i += 100) {
      const p = redis.pipeline();
      for (let j = 0; j < 100 && i + j < orders; j++) p.xadd(`${keyPrefix}orders`, '*', ...fields);
      await p.exec();
    }
    while (Number((await redis.get(`${keyPrefix}done`)) ?? 0) < orders) {
      await new Promise((r) => setTimeout(r, 25));
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    return Math.round((orders / ms) * 1000);
  } finally {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
          }),
      ),
    );
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
}

async function main() {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === 'stage') {
    const [keyPrefix, from, to, traced] = rest;
    return stage(keyPrefix!, from!, to === '-' ? undefined : to, traced === 'traced');
  }
  const orders = Number(mode ?? 20000);
  const bareRate = bareBusRate(orders);
  const plain = await runChain(orders, false);
  const traced = await runChain(orders, true);
  const row = (name: string, rate: number) => ({
    bench: name,
    orders,
    orders_per_s: rate,
    ...(bareRate ? { vs_bare: Number((rate / bareRate).toFixed(2)) } : {}),
  });
  if (bareRate) console.log(JSON.stringify({ bench: 'bare-bus', orders, orders_per_s: bareRate }));
  console.log(JSON.stringify(row('redis-streams adapter', plain)));
  console.log(JSON.stringify(row('redis-streams adapter, traced', traced)));
  console.log(JSON.stringify({ traced_vs_untraced: Number((traced / plain).toFixed(2)) }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
