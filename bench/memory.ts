/**
 * The lab's memory: `tracelab up --workload none` (supervisor, collector, four services; Redis
 * apart), read per process from /proc just after start, idle after a warm-up, and optionally
 * after N more orders.
 *
 *   npm run bench:memory [-- options]      (needs Redis at REDIS_URL, or redis-server)
 *
 *   --warm-up N     orders at 50/s before the idle reading (default 200, as bench:pipeline)
 *   --orders N      then N more orders at --rate, read again after each 10,000 (default 0)
 *   --rate R        orders/s for --orders (default 200)
 *   --settle S      seconds the lab rests before each reading (default 5)
 *   --runs K        labs started one after the other; each reading is quoted as the median
 *                   total of the K runs (default 1)
 *   --flags="…"     more flags for `tracelab up`, e.g. --flags="--tracing off"
 *   --cli PATH      the tracelab to measure (default: this build's dist/src/cli/main.js), e.g.
 *                   another checkout's, to compare two versions on the same machine
 *
 * RSS counts the pages a process shares with the others (the node binary, ~33 MB in each) in
 * full in every one, as `top` does; PSS divides them among the processes that map them, so
 * PSS summed is what the lab takes from the machine; private is each process's own memory
 * (its V8 heap, compiled code, buffers). The aims are in RSS.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { ON_FREE_PORTS, parseUpBanner } from '../src/cli/up-banner.js';
import { DEFAULT_REDIS_URL } from '../src/config/index.js';
import { deleteKeysWithPrefix } from '../src/store/index.js';
import { closeSender, sendOpenLoop } from './open-loop.js';
import { treeMemory } from './process-tree.js';
import type { ProcessMemory } from './process-tree.js';

const REDIS_URL = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
const CLI = join(__dirname, '..', 'src', 'cli', 'main.js');

const { values } = parseArgs({
  options: {
    'warm-up': { type: 'string', default: '200' },
    orders: { type: 'string', default: '0' },
    rate: { type: 'string', default: '200' },
    settle: { type: 'string', default: '5' },
    runs: { type: 'string', default: '1' },
    flags: { type: 'string', default: '' },
    cli: { type: 'string', default: CLI },
  },
});
const options = {
  warmUp: Number(values['warm-up']),
  orders: Number(values.orders),
  rate: Number(values.rate),
  settleS: Number(values.settle),
  runs: Number(values.runs),
  flags: values.flags.split(' ').filter(Boolean),
  cli: values.cli,
};

interface Reading {
  readonly label: string;
  readonly processes: ProcessMemory[];
}

const mb = (kb: number) => Math.round(kb / 1024);
/** The lab's processes: Redis apart, as the aim counts them. */
const lab = (r: Reading) => r.processes.filter((p) => p.name !== 'redis-server');
const total = (r: Reading, field: 'rssKb' | 'pssKb' | 'anonKb') =>
  lab(r).reduce((sum, p) => sum + p[field], 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startLab(prefix: string): Promise<{ child: ChildProcess; apiUrl: string }> {
  const child = spawn(
    process.execPath,
    [
      options.cli,
      'up',
      '--workload',
      'none',
      ...ON_FREE_PORTS,
      '--key-prefix',
      prefix,
      '--redis-url',
      REDIS_URL,
      ...options.flags,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const apiUrl = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const banner = parseUpBanner(out);
      if (banner) {
        clearInterval(timer);
        resolve(banner.apiUrl);
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`tracelab up exited:\n${out}`));
      }
    }, 100);
  });
  return { child, apiUrl };
}

async function counted(apiUrl: string): Promise<number> {
  return ((await (await fetch(`${apiUrl}/analytics`)).json()) as { orders: number }).orders;
}

async function sendAndWait(apiUrl: string, rate: number, n: number, before: number) {
  const sent = await sendOpenLoop(apiUrl, rate, n / rate);
  if (sent.failed > 0) throw new Error(`${sent.failed} orders refused: ${sent.firstError}`);
  const want = before + sent.accepted.length;
  const deadline = Date.now() + 300_000;
  while ((await counted(apiUrl)) < want) {
    if (Date.now() > deadline) throw new Error('orders not completed within 5 min');
    await sleep(200);
  }
  return want;
}

async function measureLab(run: number): Promise<Reading[]> {
  const prefix = `bench-${randomUUID().slice(0, 8)}:`;
  const { child, apiUrl } = await startLab(prefix);
  const readings: Reading[] = [];
  const read = async (label: string) => {
    await sleep(options.settleS * 1000);
    const reading = { label, processes: treeMemory(child.pid!) };
    readings.push(reading);
    console.error(
      `  run ${run}, ${label}: RSS ${mb(total(reading, 'rssKb'))} MB, PSS ${mb(total(reading, 'pssKb'))} MB`,
    );
  };
  try {
    await read('just started');
    let done = 0;
    if (options.warmUp > 0) done = await sendAndWait(apiUrl, 50, options.warmUp, done);
    await read(`idle after ${options.warmUp} orders`);
    for (let left = options.orders; left > 0;) {
      const n = Math.min(10_000, left);
      done = await sendAndWait(apiUrl, options.rate, n, done);
      left -= n;
      if (left === 0 || (options.orders - left) % 50_000 === 0)
        await read(`after ${options.warmUp} + ${options.orders - left} orders`);
      else console.error(`  run ${run}: ${options.orders - left}/${options.orders} orders`);
    }
    return readings;
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    const redis = new Redis(REDIS_URL);
    await deleteKeysWithPrefix(redis, prefix).finally(() => redis.disconnect());
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

function printReading(r: Reading): void {
  console.log(`\n${r.label}`);
  const rows = [
    ['process', 'pid', 'RSS MB', 'PSS MB', 'private MB'],
    ...r.processes.map((p) => [
      p.name,
      String(p.pid),
      String(mb(p.rssKb)),
      String(mb(p.pssKb)),
      String(mb(p.anonKb)),
    ]),
    [
      'total (Redis apart)',
      '',
      String(mb(total(r, 'rssKb'))),
      String(mb(total(r, 'pssKb'))),
      String(mb(total(r, 'anonKb'))),
    ],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows)
    console.log(
      '  ' +
        row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '),
    );
}

async function main() {
  console.error(
    `${options.cli} up --workload none ${options.flags.join(' ')}: ${options.runs} run(s), warm-up ${options.warmUp}, then ${options.orders} orders at ${options.rate}/s`,
  );
  const runs: Reading[][] = [];
  for (let i = 1; i <= options.runs; i++) runs.push(await measureLab(i));
  closeSender();
  // The run whose idle total is the median is shown in full; every run's totals follow.
  const idleOf = (readings: Reading[]) => total(readings[1]!, 'rssKb');
  const mid = median(runs.map(idleOf));
  const shown = runs.find((r) => idleOf(r) === mid)!;
  for (const r of shown) printReading(r);
  console.log('\ntotals, MB (RSS / PSS), per run:');
  for (const [i, label] of shown.map((r) => r.label).entries()) {
    const each = runs.map((r) =>
      r[i] ? `${mb(total(r[i], 'rssKb'))}/${mb(total(r[i], 'pssKb'))}` : '-',
    );
    const med = median(runs.filter((r) => r[i]).map((r) => total(r[i]!, 'rssKb')));
    console.log(`  ${label.padEnd(28)} ${each.join('  ')}   median RSS ${mb(med)}`);
  }
  console.log(
    JSON.stringify({
      bench: 'memory',
      flags: options.flags,
      readings: shown.map((r, i) => ({
        label: r.label,
        rss_mb: runs.map((run) => (run[i] ? mb(total(run[i], 'rssKb')) : undefined)),
        pss_mb: runs.map((run) => (run[i] ? mb(total(run[i], 'pssKb')) : undefined)),
        processes: Object.fromEntries(lab(r).map((p) => [p.name, mb(p.rssKb)])),
      })),
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
