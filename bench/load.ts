/**
 * Load generator precision: how late requests leave against their plan, at a set rate.
 *
 *   npm run bench:load
 *   (BENCH_RATE=1000 BENCH_SECONDS=10 by default)
 *
 * A trivial HTTP server (202 and a small JSON body, at once) runs as its own process, so the
 * generator's event loop is not shared with it. Two figures per run: the send lag the
 * generator records (actual send − planned send), and the same seen from the server (arrival
 * against plan, its time zero taken as the median offset, since the two processes share no
 * clock). HTTP latency is printed to show the server was not the limit.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { runLoad } from '../src/load/index.js';
import type { LatencySummary } from '../src/load/index.js';

const RATE = Number(process.env.BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

// The server records each arrival (performance.now) and prints them all when stdin closes.
const SERVER = `
const { createServer } = require('node:http');
const { performance } = require('node:perf_hooks');
const arrivals = [];
const body = JSON.stringify({ id: '00000000-0000-4000-8000-000000000000', traceId: '0'.repeat(32), status: 'accepted' });
const server = createServer((req, res) => {
  if (req.method === 'POST') arrivals.push(performance.now());
  req.resume();
  res.writeHead(202, { 'content-type': 'application/json' }).end(body);
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write('port ' + server.address().port + '\\n'));
process.stdin.on('end', () => { process.stdout.write(JSON.stringify(arrivals) + '\\n'); process.exit(0); });
process.stdin.resume();
`;

const fmt = (s: LatencySummary | Record<string, number>) =>
  Object.entries(s as Record<string, number>)
    .filter(([k]) => k !== 'count')
    .map(([k, v]) => `${k} ${v.toFixed(3)} ms`)
    .join(', ');

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function main(): Promise<void> {
  const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  server.stdout.on('data', (d: Buffer) => (out += d.toString()));
  while (!/port \d+\n/.test(out)) await once(server.stdout, 'data');
  const port = Number(/port (\d+)/.exec(out)![1]);
  out = '';

  const run = await runLoad({
    url: `http://127.0.0.1:${port}`,
    plan: { mode: 'rate', ratePerSec: RATE, durationMs: SECONDS * 1000 },
    order: { item: 'bench', quantity: 1 },
  });
  server.stdin.end();
  await once(server, 'exit');
  const arrivals = JSON.parse(out.trim()) as number[];
  const gapMs = 1000 / RATE;
  const offsets = arrivals.map((t, i) => t - i * gapMs);
  const zero = quantile(
    [...offsets].sort((a, b) => a - b),
    0.5,
  );
  const deviation = offsets.map((o) => Math.abs(o - zero)).sort((a, b) => a - b);
  const sent = run.outcomes.length;
  const first = run.outcomes[0]!.sentMs;
  const last = run.outcomes[sent - 1]!.sentMs;

  console.log(
    `load generator at ${RATE} requests/s for ${SECONDS} s (${sent} requests, ${run.connections} connections allowed)`,
  );
  console.log(
    `  achieved rate              ${((sent - 1) / ((last - first) / 1000)).toFixed(1)}/s`,
  );
  console.log(`  send lag (generator)       ${fmt(run.sendLag.summary())}`);
  console.log(
    `  arrival vs plan (server)   ${fmt({
      p50: quantile(deviation, 0.5),
      p90: quantile(deviation, 0.9),
      p99: quantile(deviation, 0.99),
      max: deviation[deviation.length - 1]!,
    })}`,
  );
  console.log(`  HTTP latency               ${fmt(run.latency.summary())}`);
  console.log(`  errors                     ${run.outcomes.filter((o) => o.error).length}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
