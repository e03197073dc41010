/**
 * Collector benchmark: OTLP/HTTP protobuf ingest rate and query latency.
 *
 *   npm run build && node dist/bench/collector.js
 *   (BENCH_TRACES=100000 BENCH_SPANS_PER_TRACE=2 by default)
 *
 * The collector runs as its own process (`tracelab collector`, one Node.js event loop, so one
 * core); this process generates the load. Decode+store without HTTP is measured in-process too,
 * so the HTTP share of the cost shows as a ratio in the same run. The HTTP ingest runs three
 * times: in memory only, with --data (every batch appended to the file), and with --data and a
 * store a quarter of the load (evicting, so the file is compacted), so the cost of persistence
 * shows as ratios too.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { decodeOtlpProtobuf } from '../src/collector/ingest/otlp-protobuf.js';
import { ExportTraceServiceRequest } from '../src/collector/ingest/otlp-schema.js';
import { TraceStore } from '../src/collector/store/trace-store.js';
import { cpuSeconds, rssMiB, startCollectorProcess } from './collector-process.js';
import type { CollectorProcess } from './collector-process.js';

const TRACES = Number(process.env.BENCH_TRACES ?? 100_000);
const SPANS_PER_TRACE = Number(process.env.BENCH_SPANS_PER_TRACE ?? 2);
const BATCH_SPANS = 512;
const SERVICES = ['api', 'processing', 'notification', 'analytics'];
const OPERATIONS = [
  'POST /orders',
  'GET /orders/:id',
  'GET /health',
  'PUT /orders/:id',
  'DELETE /orders/:id',
];

const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');
const traceIdBytes = (n: number) => Buffer.from(`7e57${hex(n, 28)}`, 'hex');
const spanIdBytes = (n: number, i: number) => Buffer.from(`${hex(i + 1, 2)}${hex(n, 14)}`, 'hex');

const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const int = (key: string, v: number) => ({ key, value: { intValue: v } });
const dbl = (key: string, v: number) => ({ key, value: { doubleValue: v } });

/** One batch of BATCH_SPANS spans: whole traces, each crossing the four services. */
function encodeBatch(firstTrace: number, nowNs: bigint): Uint8Array {
  const byService = SERVICES.map(() => [] as object[]);
  const traces = BATCH_SPANS / SPANS_PER_TRACE;
  for (let t = 0; t < traces; t++) {
    const n = firstTrace + t;
    const op = OPERATIONS[n % OPERATIONS.length]!;
    // Traces spread over the last 30 minutes, so the default search window holds them all.
    const startNs = nowNs - BigInt((TRACES - n) % 1_800_000) * 1_000_000n;
    for (let i = 0; i < SPANS_PER_TRACE; i++) {
      const s = startNs + BigInt(i) * 2_000_000n;
      byService[i % SERVICES.length]!.push({
        traceId: traceIdBytes(n),
        spanId: spanIdBytes(n, i),
        parentSpanId: i === 0 ? Buffer.alloc(0) : spanIdBytes(n, i - 1),
        name: i === 0 ? op : `process ${op}`,
        kind: i === 0 ? 2 : 5,
        startTimeUnixNano: s.toString(),
        endTimeUnixNano: (s + BigInt(20 - i * 4) * 1_000_000n).toString(),
        attributes: [
          str('http.request.method', 'POST'),
          str('url.path', '/orders'),
          int('http.response.status_code', 200),
          str('order.id', `order-${n}`),
          str('customer.tier', n % 3 === 0 ? 'gold' : 'standard'),
          int('order.items', (n % 7) + 1),
          dbl('order.total', 12.5 + (n % 100)),
          str('messaging.system', 'redis'),
          dbl('process.cpu.utilization', 0.42),
          int('process.memory.rss', 123_456_789),
        ],
        events:
          i === 0
            ? [
                {
                  timeUnixNano: s.toString(),
                  name: 'order.received',
                  attributes: [int('queue.depth', 3)],
                },
              ]
            : [],
        status: { code: 1 },
      });
    }
  }
  return ExportTraceServiceRequest.encode(
    ExportTraceServiceRequest.fromObject({
      resourceSpans: SERVICES.map((service, i) => ({
        resource: {
          attributes: [
            str('service.name', service),
            str('host.name', 'bench'),
            int('process.pid', 1000 + i),
          ],
        },
        scopeSpans: [{ scope: { name: 'tracelab', version: '0.1.0' }, spans: byService[i] }],
      })),
    }),
  ).finish();
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timeRequests(
  n: number,
  url: (i: number) => string,
): Promise<{ p50: number; p99: number; mean: number }> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(url(i));
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url(i)} answered ${res.status}`);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return {
    p50: percentile(ms, 50),
    p99: percentile(ms, 99),
    mean: ms.reduce((a, b) => a + b, 0) / n,
  };
}

async function main(): Promise<void> {
  const totalSpans = TRACES * SPANS_PER_TRACE;
  const batches = Math.ceil(totalSpans / BATCH_SPANS);
  const tracesPerBatch = BATCH_SPANS / SPANS_PER_TRACE;
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  console.log(
    `collector bench: ${TRACES} traces x ${SPANS_PER_TRACE} spans, batches of ${BATCH_SPANS} spans (10 attributes each), protobuf`,
  );

  // 1. Decode + store in this process, no HTTP: the collector's own work per span.
  const sample = Array.from({ length: 100 }, (_, b) => encodeBatch(b * tracesPerBatch, nowNs));
  const store = new TraceStore({ maxSpans: totalSpans });
  for (const body of sample.slice(0, 20)) store.addSpans(decodeOtlpProtobuf(body).spans);
  const t0 = performance.now();
  for (const body of sample.slice(20)) store.addSpans(decodeOtlpProtobuf(body).spans);
  const inProcessRate = ((sample.length - 20) * BATCH_SPANS) / ((performance.now() - t0) / 1000);
  console.log(
    `decode+store, in process:      ${Math.round(inProcessRate).toLocaleString('en')} spans/s`,
  );

  // 2. Over HTTP to `tracelab collector` in its own process, two requests in flight.
  const ingest = async (collector: CollectorProcess) => {
    const post = async (body: Uint8Array) => {
      const res = await fetch(collector.otlpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body,
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`export answered ${res.status}`);
    };
    let next = 0;
    const encodeMs: number[] = [];
    const cpu0 = cpuSeconds(collector.pid);
    const t1 = performance.now();
    const worker = async () => {
      while (next < batches) {
        const b = next++;
        const e0 = performance.now();
        const body = encodeBatch(b * tracesPerBatch, nowNs);
        encodeMs.push(performance.now() - e0);
        await post(body);
      }
    };
    await Promise.all([worker(), worker()]);
    const seconds = (performance.now() - t1) / 1000;
    return {
      cpuUsPerSpan: ((cpuSeconds(collector.pid) - cpu0) * 1e6) / (batches * BATCH_SPANS),
      seconds,
      clientSeconds: encodeMs.reduce((a, b) => a + b, 0) / 1000,
      rate: (batches * BATCH_SPANS) / seconds,
    };
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'tracelab-bench-'));
  const persisted = async (name: string, maxSpans: number) => {
    const file = join(dataDir, name);
    const c = await startCollectorProcess(maxSpans, ['--data', file]);
    const run = await ingest(c);
    await new Promise((done) => setTimeout(done, 200)); // the appends of the last batches
    const s0 = performance.now();
    await c.stop(); // the last appends and a sync
    return { ...run, stopMs: performance.now() - s0, fileMiB: statSync(file).size / 2 ** 20 };
  };

  const collector = await startCollectorProcess(batches * BATCH_SPANS);
  const memory = await ingest(collector);
  console.log(
    `OTLP/HTTP protobuf ingest:      ${Math.round(memory.rate).toLocaleString('en')} spans/s ` +
      `(${batches} requests in ${memory.seconds.toFixed(1)} s; the sender spent ${memory.clientSeconds.toFixed(1)} s encoding; ` +
      `collector CPU ${memory.cpuUsPerSpan.toFixed(1)} µs/span)`,
  );
  console.log(`HTTP ingest / in-process:       ${(memory.rate / inProcessRate).toFixed(2)}`);
  console.log(
    `collector RSS with ${totalSpans.toLocaleString('en')} spans: ${Math.round(rssMiB(collector.pid))} MiB`,
  );
  try {
    const whole = await persisted('whole.jsonl', batches * BATCH_SPANS);
    console.log(
      `  ... with --data:              ${Math.round(whole.rate).toLocaleString('en')} spans/s ` +
        `(${(whole.rate / memory.rate).toFixed(2)} of in-memory; collector CPU ${whole.cpuUsPerSpan.toFixed(1)} µs/span, ` +
        `${(whole.cpuUsPerSpan / memory.cpuUsPerSpan).toFixed(2)} of in-memory; file ${whole.fileMiB.toFixed(0)} MiB, ` +
        `stop with final sync ${whole.stopMs.toFixed(0)} ms)`,
    );
    const quarter = Math.ceil(totalSpans / 4);
    const evicting = await persisted('evicting.jsonl', quarter);
    console.log(
      `  ... with --data, --max-spans ${quarter.toLocaleString('en')} (evicting, compacting): ` +
        `${Math.round(evicting.rate).toLocaleString('en')} spans/s ` +
        `(${(evicting.rate / memory.rate).toFixed(2)} of in-memory; collector CPU ${evicting.cpuUsPerSpan.toFixed(1)} µs/span, ` +
        `${(evicting.cpuUsPerSpan / memory.cpuUsPerSpan).toFixed(2)} of in-memory; file ${evicting.fileMiB.toFixed(0)} MiB)`,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }

  // 3. Query latency against the loaded store.
  const byId = await timeRequests(
    500,
    (i) => `${collector.queryUrl}/api/traces/${traceIdBytes((i * 7919) % TRACES).toString('hex')}`,
  );
  console.log(
    `GET /api/traces/{id}:           p50 ${byId.p50.toFixed(2)} ms, p99 ${byId.p99.toFixed(2)} ms (500 requests)`,
  );
  const search = await timeRequests(
    200,
    (i) =>
      `${collector.queryUrl}/api/traces?service=api&operation=${encodeURIComponent(OPERATIONS[i % OPERATIONS.length]!)}&lookback=1h&limit=20`,
  );
  console.log(
    `search service+operation, limit 20 among ${TRACES.toLocaleString('en')} traces: p50 ${search.p50.toFixed(2)} ms, p99 ${search.p99.toFixed(2)} ms (200 requests)`,
  );
  const tagged = await timeRequests(
    50,
    (i) =>
      `${collector.queryUrl}/api/traces?service=api&operation=${encodeURIComponent(OPERATIONS[i % OPERATIONS.length]!)}&tags=${encodeURIComponent('{"customer.tier":"gold"}')}&lookback=1h&limit=20`,
  );
  console.log(
    `  ... with a tag filter:        p50 ${tagged.p50.toFixed(2)} ms, p99 ${tagged.p99.toFixed(2)} ms (50 requests)`,
  );
  await collector.stop();
  console.log(
    'Reproduce: npm run build && node dist/bench/collector.js (BENCH_TRACES, BENCH_SPANS_PER_TRACE to vary)',
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
