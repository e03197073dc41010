/**
 * The lab's own cost. `tracelab up --workload none` (HTTP, four services, Redis records,
 * every order traced and exported to the collector) under open-loop load at rising rates
 * until it saturates, beside the bare four-stage Redis Streams pipeline of
 * ../shared/tools/bare-bus-bench (run before and after the lab, the mean quoted) and the same
 * system with tracing (and the resource monitor) off, all in one run, so each overhead is a
 * ratio measured side by side.
 *
 *   npm run bench:pipeline [-- options]      (needs Redis at REDIS_URL; --help lists them)
 *
 * Per rate: orders/s completed end to end (POST due → analytics recorded) and the
 * end-to-end latency p50/p99, counted from when each order was due, so a queue shows.
 * A system is saturated when it completes under 90 % of the offered rate; its throughput is
 * the best rate it completed. Latency is quoted again at half that rate.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { Redis } from 'ioredis';
import { ON_FREE_PORTS, parseUpBanner } from '../src/cli/up-banner.js';
import { DEFAULT_REDIS_URL } from '../src/config/index.js';
import { createResourceMonitor } from '../src/monitor/index.js';
import { deleteKeysWithPrefix } from '../src/store/index.js';
import { bareBusRate } from './bare-bus.js';
import { runClosedLoop } from './closed-loop.js';
import type { ClosedScope } from './closed-loop.js';
import { closeSender, sendOpenLoop } from './open-loop.js';
import { startOtlpSink } from './otlp-sink.js';
import type { OtlpSink } from './otlp-sink.js';
import { tracingShare } from './tracing-share.js';
import { treeCpuMs, treeMemory } from './process-tree.js';
import type { SentOrder } from './open-loop.js';

const REDIS_URL = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
const RATE_FACTOR = 1.5;
/** How long the closed loop reads each process's idle CPU before its measured orders. */
const IDLE_SAMPLE_MS = 3000;
/** Completing less than this share of the offered rate is saturation. */
const SATURATED_BELOW = 0.9;

interface SystemUnderTest {
  readonly name: string;
  readonly label: string;
  readonly flags: readonly string[];
  /** Variables for `tracelab up` and its children, given the sink's URL when one runs. */
  readonly env?: (sinkUrl: string) => Record<string, string>;
}

const SYSTEMS: readonly SystemUnderTest[] = [
  { name: 'traced', label: 'lab, traced + monitor', flags: [] },
  { name: 'monitor-off', label: 'lab, monitor off', flags: ['--monitor', 'off'] },
  {
    name: 'untraced',
    label: 'lab, tracing + monitor off',
    flags: ['--tracing', 'off', '--monitor', 'off'],
  },
  // Tracing's parts, one at a time (only with --only): an AsyncLocalStorage alone, as the
  // context manager keeps one; the SDK, its context and the instrumentations with no span
  // sampled; then spans made and exported to a receiver that keeps nothing. Traced less
  // `sink` is the collector's ingest and store.
  {
    name: 'async-context',
    label: 'lab, untraced with an AsyncLocalStorage',
    flags: ['--tracing', 'off', '--monitor', 'off'],
    env: () => ({
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${join(__dirname, 'async-context-on.js')}`,
    }),
  },
  {
    name: 'context',
    label: 'lab, spans not sampled',
    flags: [],
    env: () => ({ OTEL_TRACES_SAMPLER: 'always_off' }),
  },
  {
    name: 'sink',
    label: 'lab, spans to a sink',
    flags: [],
    env: (sinkUrl) => ({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${sinkUrl}/v1/traces` }),
  },
];
/** Systems measured when --only does not name them. */
const DEFAULT_SYSTEMS = new Set(['bare', 'traced', 'monitor-off', 'untraced']);

interface Step {
  readonly offeredPerS: number;
  readonly completedPerS: number;
  readonly orders: number;
  readonly failed: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

interface SystemResult {
  readonly system: SystemUnderTest;
  readonly steps: Step[];
  readonly maxPerS: number;
  readonly atHalf?: Step;
  readonly idleRssMb: number;
  readonly loadedRssMb: number;
  readonly soak?: { orders: number; rssMb: number };
  readonly closed?: ClosedResult;
  readonly fixed?: FixedRateResult;
}

/** The closed-loop measurement of one system, after its warm-up. */
interface ClosedResult {
  readonly orders: number;
  readonly perS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly seconds: number;
  /** CPU per order by process (ms), over the measured orders; Redis included where local. */
  readonly cpuMsPerOrder: Record<string, number>;
}

/** Orders sent open loop at one fixed rate, and what each process spent per order. */
interface FixedRateResult {
  readonly rate: number;
  readonly orders: number;
  readonly cpuMsPerOrder: Record<string, number>;
}

/** Seconds at the fixed rate before its measured window. */
const FIXED_WARMUP_S = 4;
/** Long enough for the spans of orders just done to be exported (each second) and ingested. */
const EXPORT_SETTLE_MS = 2500;

/**
 * Each process's CPU over a window of orders, less what it spends idle. The idle rate is read
 * first, once the spans of earlier orders have been exported and stored; the window closes
 * as long after the last order, so its spans' export and ingest are counted with it.
 */
async function startCpuWindow(
  lab: Lab,
  redis: Redis,
): Promise<{ perOrder(orders: number): Promise<Record<string, number>> }> {
  const extra = await redisPid(redis);
  const read = () => treeCpuMs(lab.child.pid!, extra);
  await new Promise((r) => setTimeout(r, EXPORT_SETTLE_MS));
  // What each process spends idle (timers, blocking reads, the monitor), taken off the loaded
  // figure: at a low rate it would otherwise pass for a cost per order.
  const idleStart = read();
  const idleT0 = performance.now();
  await new Promise((r) => setTimeout(r, IDLE_SAMPLE_MS));
  const idleEnd = read();
  const idleSeconds = (performance.now() - idleT0) / 1000;
  const before = read();
  const t0 = performance.now();
  return {
    async perOrder(orders) {
      await new Promise((r) => setTimeout(r, EXPORT_SETTLE_MS));
      const after = read();
      const seconds = (performance.now() - t0) / 1000;
      const out: Record<string, number> = {};
      for (const [name, ms] of after) {
        const start = before.get(name);
        if (start === undefined) continue;
        const idlePerS = ((idleEnd.get(name) ?? 0) - (idleStart.get(name) ?? 0)) / idleSeconds;
        const net = Math.max(0, ms - start - idlePerS * seconds);
        // Processes that did nothing for the orders (a database's background workers) are left out.
        if (net / orders >= 0.001) out[name] = Number((net / orders).toFixed(3));
      }
      return out;
    },
  };
}

/**
 * CPU per order at one rate every system sustains: the systems batch alike, so their
 * differences are what tracing costs. At saturation each runs at its own rate, and a faster
 * one reads more messages per call and spends less per order.
 */
async function measureAtFixedRate(
  lab: Lab,
  apiUrl: string,
  redis: Redis,
  countedBefore: number,
): Promise<{ result: FixedRateResult; counted: number }> {
  // A few seconds at the rate first, unmeasured: the JIT and the read-ahead settle to it.
  const warm = await sendOpenLoop(apiUrl, options.fixedRate, FIXED_WARMUP_S);
  countedBefore += warm.accepted.length;
  if (!(await waitForCount(redis, lab.prefix, countedBefore, 300_000)))
    throw new Error(`warm-up orders at ${options.fixedRate}/s not completed within 5 min`);
  const cpu = await startCpuWindow(lab, redis);
  const sent = await sendOpenLoop(apiUrl, options.fixedRate, options.fixedSeconds);
  if (sent.failed > 0) console.error(`  ${sent.failed} order(s) refused: ${sent.firstError}`);
  const counted = countedBefore + sent.accepted.length;
  if (!(await waitForCount(redis, lab.prefix, counted, 300_000)))
    throw new Error(`orders at ${options.fixedRate}/s not completed within 5 min`);
  const n = sent.accepted.length;
  return {
    counted,
    result: { rate: options.fixedRate, orders: n, cpuMsPerOrder: await cpu.perOrder(n) },
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** A running `tracelab up`, its API URL and the process ids to measure. */
class Lab {
  private out = '';
  private constructor(
    readonly child: ChildProcess,
    readonly prefix: string,
  ) {
    child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.out += d.toString()));
  }

  static async start(
    flags: readonly string[],
    env: Record<string, string> = {},
  ): Promise<{ lab: Lab; apiUrl: string }> {
    const prefix = `bench-${randomUUID().slice(0, 8)}:`;
    const child = spawn(
      process.execPath,
      [
        options.cli,
        'up',
        '--workload',
        options.workload,
        // Every port one the system picks: the bench can run beside anything.
        ...ON_FREE_PORTS,
        '--key-prefix',
        prefix,
        '--redis-url',
        REDIS_URL,
        '--concurrency',
        String(options.concurrency),
        ...flags,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env, NO_COLOR: '1' } },
    );
    const lab = new Lab(child, prefix);
    const apiUrl = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const banner = parseUpBanner(lab.out);
        if (banner) {
          clearInterval(timer);
          resolve(banner.apiUrl);
        } else if (child.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`tracelab up exited:\n${lab.out}`));
        }
      }, 100);
    });
    return { lab, apiUrl };
  }

  /** RSS of the supervisor and everything it started (collector, services), MB. */
  rssMb(): number {
    const kb = treeMemory(this.child.pid!).reduce((sum, p) => sum + p.rssKb, 0);
    return Math.round(kb / 1024);
  }

  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    if (this.child.exitCode === null) await new Promise((r) => this.child.once('exit', r));
    const redis = new Redis(REDIS_URL);
    await deleteKeysWithPrefix(redis, this.prefix).finally(() => redis.disconnect());
  }
}

/** Waits until analytics has counted `n` orders under the lab's prefix; false on timeout. */
async function waitForCount(
  redis: Redis,
  prefix: string,
  n: number,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (Number((await redis.hget(`${prefix}analytics:totals`, 'orders')) ?? 0) >= n) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** When analytics recorded each order (epoch ms), from the order records. */
async function completionTimes(
  redis: Redis,
  prefix: string,
  orders: readonly SentOrder[],
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < orders.length; i += 1000) {
    const pipeline = redis.pipeline();
    for (const o of orders.slice(i, i + 1000)) pipeline.hget(`${prefix}order:${o.id}`, 'analytics');
    for (const [err, v] of (await pipeline.exec()) ?? []) {
      if (err || v === null) throw new Error(`an accepted order has no analytics record`);
      out.push(Number(v));
    }
  }
  return out;
}

/** One open-loop step: send at `rate` for the step's length, wait for every order to finish. */
async function runStep(
  apiUrl: string,
  redis: Redis,
  prefix: string,
  countedBefore: number,
  rate: number,
): Promise<{ step: Step; counted: number } | undefined> {
  const sent = await sendOpenLoop(apiUrl, rate, options.seconds);
  if (sent.failed > 0) console.error(`  ${sent.failed} order(s) refused: ${sent.firstError}`);
  const counted = countedBefore + sent.accepted.length;
  // The backlog of a saturated step drains at the system's own rate: give it time.
  if (!(await waitForCount(redis, prefix, counted, 120_000))) {
    console.error(`  orders not completed within 120 s at ${rate}/s: stopping this system`);
    return undefined;
  }
  const done = await completionTimes(redis, prefix, sent.accepted);
  const latencies = sent.accepted.map((o, i) => done[i]! - o.dueAtMs).sort((a, b) => a - b);
  const firstDue = Math.min(...sent.accepted.map((o) => o.dueAtMs));
  const lastDone = Math.max(...done);
  return {
    counted,
    step: {
      offeredPerS: rate,
      completedPerS: Math.round((sent.accepted.length / (lastDone - firstDue)) * 1000),
      orders: sent.accepted.length,
      failed: sent.failed,
      p50Ms: Math.round(percentile(latencies, 50)),
      p99Ms: Math.round(percentile(latencies, 99)),
    },
  };
}

/** The Redis server's process id, when it runs on this machine (to read its CPU). */
async function redisPid(redis: Redis): Promise<number[]> {
  const info = await redis.info('server');
  const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
  return Number.isFinite(pid) && pid > 0 ? [pid] : [];
}

/**
 * Closed loop: `--closed` orders in flight, a warm-up of `--closed-warmup` orders, then
 * `--closed-orders` measured, each process's CPU read around the measured ones.
 */
async function measureClosed(
  lab: Lab,
  apiUrl: string,
  redis: Redis,
  countedBefore: number,
): Promise<{ result: ClosedResult; counted: number }> {
  const run = async (orders: number, counted: number) => {
    const r = await runClosedLoop({
      apiUrl,
      redis,
      prefix: lab.prefix,
      countedBefore: counted,
      inFlight: options.closed,
      orders,
      scope: options.closedScope,
    });
    if (r.failed > 0) console.error(`  ${r.failed} order(s) refused: ${r.firstError}`);
    const total = counted + r.accepted.length;
    if (!(await waitForCount(redis, lab.prefix, total, 300_000)))
      throw new Error('closed-loop orders not completed within 5 min');
    return { r, total };
  };
  const warm = await run(options.closedWarmup, countedBefore);
  const cpu = await startCpuWindow(lab, redis);
  const t0 = performance.now();
  const { r, total } = await run(options.closedOrders, warm.total);
  const done = await completionTimes(redis, lab.prefix, r.accepted);
  const latencies = r.accepted.map((o, i) => done[i]! - o.dueAtMs).sort((a, b) => a - b);
  const n = r.accepted.length;
  const cpuMsPerOrder = await cpu.perOrder(n);
  return {
    counted: total,
    result: {
      orders: n,
      perS: Math.round((n / (Math.max(...done) - r.firstSentMs)) * 1000),
      seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
      p50Ms: Math.round(percentile(latencies, 50)),
      p99Ms: Math.round(percentile(latencies, 99)),
      cpuMsPerOrder,
    },
  };
}

async function measureSystem(system: SystemUnderTest): Promise<SystemResult> {
  console.error(
    `\n${system.label} (${['--workload', options.workload, ...system.flags].join(' ')})`,
  );
  const sinkUrl = sink?.url ?? '';
  const { lab, apiUrl } = await Lab.start(system.flags, system.env?.(sinkUrl));
  const redis = new Redis(REDIS_URL);
  try {
    // Warm-up: connections, JIT, consumer groups; then the lab settles before the RSS reading.
    let counted = 0;
    const warm = await runStep(apiUrl, redis, lab.prefix, counted, 50);
    if (!warm) throw new Error('the warm-up did not complete');
    counted = warm.counted;
    await new Promise((r) => setTimeout(r, 2000));
    const idleRssMb = lab.rssMb();

    const steps: Step[] = [];
    for (let rate = options.start; options.seconds > 0; rate = Math.round(rate * RATE_FACTOR)) {
      const r = await runStep(apiUrl, redis, lab.prefix, counted, rate);
      if (!r) break;
      counted = r.counted;
      steps.push(r.step);
      console.error(
        `  ${String(rate).padStart(5)}/s offered: ${r.step.completedPerS}/s completed, p50 ${r.step.p50Ms} ms, p99 ${r.step.p99Ms} ms`,
      );
      if (r.step.completedPerS < SATURATED_BELOW * rate) break;
    }
    const maxPerS = Math.max(0, ...steps.map((s) => s.completedPerS));
    let atHalf: Step | undefined;
    if (maxPerS > 0) {
      const r = await runStep(apiUrl, redis, lab.prefix, counted, Math.round(maxPerS / 2));
      if (r) {
        counted = r.counted;
        atHalf = r.step;
        console.error(
          `  ${String(r.step.offeredPerS).padStart(5)}/s (half): ${r.step.completedPerS}/s completed, p50 ${r.step.p50Ms} ms, p99 ${r.step.p99Ms} ms`,
        );
      }
    }
    const loadedRssMb = lab.rssMb();
    let fixed: FixedRateResult | undefined;
    if (options.fixedRate > 0 && options.fixedSeconds > 0) {
      const f = await measureAtFixedRate(lab, apiUrl, redis, counted);
      counted = f.counted;
      fixed = f.result;
      const total = Object.values(fixed.cpuMsPerOrder).reduce((a, b) => a + b, 0);
      console.error(
        `  ${fixed.orders} orders at ${fixed.rate}/s: ${total.toFixed(2)} ms of CPU an order`,
      );
    }
    let closed: ClosedResult | undefined;
    if (options.closedOrders > 0) {
      const c = await measureClosed(lab, apiUrl, redis, counted);
      counted = c.counted;
      closed = c.result;
      console.error(
        `  closed loop, ${options.closed} in flight (${options.closedScope}): ${closed.perS}/s, p50 ${closed.p50Ms} ms, p99 ${closed.p99Ms} ms`,
      );
    }
    let soak: SystemResult['soak'];
    if (options.soak > 0 && maxPerS > 0) {
      // Just under saturation, in steps of a minute or less, reporting progress.
      const rate = Math.round(maxPerS * 0.8);
      let left = options.soak;
      while (left > 0) {
        const seconds = Math.min(60, left / rate);
        const sent = await sendOpenLoop(apiUrl, rate, seconds);
        counted += sent.accepted.length;
        left -= sent.accepted.length + sent.failed;
        if (!(await waitForCount(redis, lab.prefix, counted, 300_000)))
          throw new Error('soak orders not completed within 5 min');
        console.error(`  soak: ${options.soak - left}/${options.soak}, RSS ${lab.rssMb()} MB`);
      }
      await new Promise((r) => setTimeout(r, 2000));
      soak = { orders: options.soak, rssMb: lab.rssMb() };
    }
    return {
      system,
      steps,
      maxPerS,
      ...(atHalf ? { atHalf } : {}),
      idleRssMb,
      loadedRssMb,
      ...(soak ? { soak } : {}),
      ...(fixed ? { fixed } : {}),
      ...(closed ? { closed } : {}),
    };
  } finally {
    redis.disconnect();
    await lab.stop();
  }
}

/** CPU the resource sampler thread takes at 100 ms, % of one core, measured in this process. */
async function monitorCostPercent(seconds: number): Promise<number> {
  const idle = async () => {
    const before = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const used = process.cpuUsage(before);
    return ((used.user + used.system) / 1000 / (performance.now() - t0)) * 100;
  };
  const without = await idle();
  const monitor = createResourceMonitor({ intervalMs: 100 });
  await new Promise((r) => setTimeout(r, 500)); // the thread's start-up is not its running cost
  const withMonitor = await idle();
  await monitor.close();
  return Math.max(0, withMonitor - without);
}

const USAGE = `  npm run bench:pipeline [-- options]      (needs Redis at REDIS_URL)

  --seconds S        length of each rate step (default 4; 0 skips the open-loop steps)
  --start R          first rate, orders/s (default 50); each next step is 1.5 × the last
  --concurrency N    consumer concurrency, passed to \`tracelab up\` (default 1)
  --workload W       none (default) or spec; with spec the monitor rows are measured too
  --soak N           after the steps, N more orders through the traced system, then RSS
  --only a,b         run only these systems: bare, traced, monitor-off, untraced, and
                     tracing's parts: context (spans not sampled), sink (spans exported
                     to a receiver that keeps nothing), async-context (untraced, with one
                     AsyncLocalStorage in use); with traced, untraced, context and sink
                     it prints where tracing's CPU goes
  --cli PATH         the tracelab to measure (default: this build's), e.g. another checkout's
                     dist/src/cli/main.js, to compare two builds with one driver
  --closed N         closed loop after the steps: N orders in flight (default 64)
  --closed-orders N  orders measured in the closed loop (default 5000; 0 skips it)
  --closed-warmup N  closed-loop orders before the measured ones (default 2000)
  --closed-scope S   where an order ends: order (analytics recorded it; default) or http
                     (the 202: only the intake is bounded and the pipeline queues)
  --fixed-rate R     before the closed loop, R orders/s open loop (default 100; 0 skips),
                     each process's CPU per order read over them: every system at one rate
  --fixed-seconds S  how long the fixed rate runs (default 20)
`;

const flagValues = parseFlags({
  options: {
    help: { type: 'boolean', short: 'h' },
    seconds: { type: 'string', default: '4' },
    start: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '1' },
    workload: { type: 'string', default: 'none' },
    soak: { type: 'string', default: '0' },
    only: { type: 'string' },
    closed: { type: 'string', default: '64' },
    cli: { type: 'string', default: join(__dirname, '..', 'src', 'cli', 'main.js') },
    'closed-orders': { type: 'string', default: '5000' },
    'closed-warmup': { type: 'string', default: '2000' },
    'closed-scope': { type: 'string', default: 'order' },
    'fixed-rate': { type: 'string', default: '100' },
    'fixed-seconds': { type: 'string', default: '20' },
  },
});
if (flagValues.help) {
  console.log(USAGE);
  process.exit(0);
}

/** parseArgs, an unknown or malformed flag said in a line with the usage, not a stack. */
function parseFlags<T extends ParseArgsConfig>(
  config: T,
): ReturnType<typeof parseArgs<T>>['values'] {
  try {
    return parseArgs(config).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}
function closedScope(value: string): ClosedScope {
  if (value !== 'order' && value !== 'http')
    throw new Error(`--closed-scope is order or http, not ${value}`);
  return value;
}
/** The receiver the `sink` system exports to, while it runs. */
let sink: OtlpSink | undefined;
const options = {
  seconds: Number(flagValues.seconds),
  start: Number(flagValues.start),
  concurrency: Number(flagValues.concurrency),
  workload: flagValues.workload,
  soak: Number(flagValues.soak),
  only: flagValues.only?.split(',').map((s) => s.trim()),
  cli: flagValues.cli,
  closed: Number(flagValues.closed),
  closedOrders: Number(flagValues['closed-orders']),
  closedWarmup: Number(flagValues['closed-warmup']),
  closedScope: closedScope(flagValues['closed-scope']),
  fixedRate: Number(flagValues['fixed-rate']),
  fixedSeconds: Number(flagValues['fixed-seconds']),
};

/** Rows as columns: the first left-aligned, the rest right-aligned, indented. */
function printRows(rows: readonly (readonly string[])[]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows)
    console.log(
      '  ' +
        row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '),
    );
}

/** CPU per order: a row per process, a column per system, and the total. */
function printCpuTable(runs: readonly { name: string; cpu: Record<string, number> }[]): void {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.cpu)))];
  printRows([
    ['process', ...runs.map((r) => r.name)],
    ...names.map((name) => [name, ...runs.map((r) => r.cpu[name]?.toFixed(3) ?? '')]),
    [
      'total',
      ...runs.map((r) =>
        Object.values(r.cpu)
          .reduce((a, b) => a + b, 0)
          .toFixed(3),
      ),
    ],
  ]);
}

async function main() {
  const wanted = (name: string) =>
    options.only ? options.only.includes(name) : DEFAULT_SYSTEMS.has(name);
  if (wanted('sink')) sink = await startOtlpSink();
  // Under --workload none no workload span exists and the monitor is never started: its row
  // would be the traced system again.
  const systems = SYSTEMS.filter(
    (s) => wanted(s.name) && !(s.name === 'monitor-off' && options.workload === 'none'),
  );
  const results: SystemResult[] = [];
  // The bare bus before and after the lab: a machine shared with other work drifts, and the
  // mean of the two brackets the lab's runs.
  const bareRuns: number[] = [];
  const runBare = () => {
    if (!wanted('bare')) return;
    console.error('\nbare bus (../shared/tools/bare-bus-bench, 20000 orders)');
    const rate = bareBusRate(20_000);
    if (rate !== undefined) {
      bareRuns.push(rate);
      console.error(`  ${rate}/s`);
    }
  };
  runBare();
  for (const system of systems) results.push(await measureSystem(system));
  runBare();
  const bare =
    bareRuns.length > 0
      ? Math.round(bareRuns.reduce((a, b) => a + b, 0) / bareRuns.length)
      : undefined;
  await sink?.close();
  const monitorCost = await monitorCostPercent(5);
  closeSender();

  const untracedResult = results.find((r) => r.system.name === 'untraced');
  const untraced = untracedResult?.maxPerS;
  const untracedClosed = untracedResult?.closed?.perS;
  console.log(
    `\nOpen-loop steps of ${options.seconds} s, workload ${options.workload}, concurrency ${options.concurrency}, latency from due time to analytics recorded\n`,
  );
  for (const r of results) {
    console.log(`${r.system.label}`);
    console.log('  offered/s  completed/s  p50 ms  p99 ms');
    for (const s of [...r.steps, ...(r.atHalf ? [r.atHalf] : [])]) {
      console.log(
        `  ${String(s.offeredPerS).padStart(9)}  ${String(s.completedPerS).padStart(11)}  ${String(s.p50Ms).padStart(6)}  ${String(s.p99Ms).padStart(6)}${s === r.atHalf ? '  (half the max)' : ''}`,
      );
    }
  }
  const rows = [
    [
      'system',
      'open orders/s',
      'vs bare',
      'vs untraced',
      'p50/p99 ms at half',
      'closed orders/s',
      'vs bare',
      'vs untraced',
      'RSS idle/loaded MB',
    ],
    ...(bare !== undefined
      ? [
          [
            'bare bus (mean of ' + bareRuns.join(', ') + ')',
            String(bare),
            '1.000',
            '',
            '',
            '',
            '',
            '',
            '',
          ],
        ]
      : []),
    ...results.map((r) => [
      r.system.label,
      String(r.maxPerS),
      bare ? (r.maxPerS / bare).toFixed(3) : '',
      untraced ? (r.maxPerS / untraced).toFixed(3) : '',
      r.atHalf ? `${r.atHalf.p50Ms}/${r.atHalf.p99Ms} @${r.atHalf.offeredPerS}/s` : '',
      r.closed ? String(r.closed.perS) : '',
      r.closed && bare ? (r.closed.perS / bare).toFixed(3) : '',
      r.closed && untracedClosed ? (r.closed.perS / untracedClosed).toFixed(3) : '',
      `${r.idleRssMb}/${r.loadedRssMb}${r.soak ? ` (${r.soak.rssMb} after ${r.soak.orders})` : ''}`,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  console.log('');
  for (const row of rows)
    console.log(
      row
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
  const fixedRuns = results.flatMap((r) =>
    r.fixed ? [{ name: r.system.name, run: r.fixed }] : [],
  );
  if (fixedRuns.length > 0) {
    console.log(
      `\nAt ${options.fixedRate} orders/s for ${options.fixedSeconds} s, CPU per order by process, ms, less what it spends idle:`,
    );
    printCpuTable(fixedRuns.map(({ name, run }) => ({ name, cpu: run.cpuMsPerOrder })));
  }
  const closedRuns = results.flatMap((r) =>
    r.closed ? [{ name: r.system.name, run: r.closed }] : [],
  );
  if (closedRuns.length > 0) {
    console.log(
      `\nClosed loop: ${options.closed} orders in flight (ended at: ${options.closedScope === 'order' ? 'analytics recorded' : 'the 202'}), ${options.closedWarmup} warm-up then ${options.closedOrders} measured`,
    );
    console.log(
      'CPU per order by process, ms, over the measured orders, less what it spends idle (each system at its own rate):',
    );
    printCpuTable(closedRuns.map(({ name, run }) => ({ name, cpu: run.cpuMsPerOrder })));
  }
  const partsFrom = (
    runs: readonly { name: string; run: { cpuMsPerOrder: Record<string, number> } }[],
  ) => {
    const of = (name: string) => runs.find((r) => r.name === name)?.run.cpuMsPerOrder;
    const [traced, untraced, context, sink] = ['traced', 'untraced', 'context', 'sink'].map(of);
    return traced && untraced && context && sink
      ? tracingShare({ traced, untraced, context, sink })
      : undefined;
  };
  const share = partsFrom(fixedRuns) ?? partsFrom(closedRuns);
  if (share) {
    console.log(
      `\nWhere tracing's CPU goes, ms per order (differences between the runs ${partsFrom(fixedRuns) ? `at ${options.fixedRate}/s` : 'of the closed loop'}):`,
    );
    printRows([
      ['process', 'context + instrumentation', 'spans + export', 'ingest', 'all tracing'],
      ...share.map((p) =>
        [p.process, p.context, p.spans, p.ingest, p.total].map((v) =>
          typeof v === 'number' ? v.toFixed(3) : v,
        ),
      ),
    ]);
  }
  console.log(`\nresource monitor at 100 ms: ${monitorCost.toFixed(2)} % of one core`);
  console.log(
    JSON.stringify({
      bench: 'pipeline',
      workload: options.workload,
      concurrency: options.concurrency,
      bare_orders_per_s: bare,
      bare_runs: bareRuns,
      systems: Object.fromEntries(
        results.map((r) => [
          r.system.name,
          {
            orders_per_s: r.maxPerS,
            vs_bare: bare ? Number((r.maxPerS / bare).toFixed(3)) : undefined,
            vs_untraced: untraced ? Number((r.maxPerS / untraced).toFixed(3)) : undefined,
            at_half: r.atHalf,
            rss_mb: { idle: r.idleRssMb, loaded: r.loadedRssMb, soak: r.soak },
            fixed_rate: r.fixed,
            closed: r.closed && {
              ...r.closed,
              vs_bare: bare ? Number((r.closed.perS / bare).toFixed(3)) : undefined,
              vs_untraced: untracedClosed
                ? Number((r.closed.perS / untracedClosed).toFixed(3))
                : undefined,
            },
          },
        ]),
      ),
      monitor_cpu_percent: Number(monitorCost.toFixed(2)),
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
