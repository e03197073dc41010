/**
 * Where two CPU profiles of one process differ, by who owns the code (./perf-samples.ts):
 * e.g. inventory-service untraced, then with the SDK on and no span sampled. Each input is
 * `perf script` output of a process started with `--perf-basic-prof-only-functions`; with
 * the sampling rate and the orders served while recording, each row is also in ms an order.
 *
 *   node dist/bench/perf-diff.js BEFORE.txt AFTER.txt [--hz 499] [--orders 2000]
 *       [--by owner|function] [--top 25]
 *
 * bench/profile-lab.sh records such profiles from a running lab.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { countByOwner, differences, parsePerfScript } from './perf-samples.js';

const USAGE =
  'usage: perf-diff BEFORE.txt AFTER.txt [--hz N] [--orders N] [--by owner|function] [--top N]';

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      hz: { type: 'string' },
      orders: { type: 'string' },
      by: { type: 'string', default: 'owner' },
      top: { type: 'string', default: '25' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (positionals.length !== 2) throw new Error(USAGE);
  if (values.by !== 'owner' && values.by !== 'function')
    throw new Error(`--by is owner or function, got ${values.by}`);
  const number = (name: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!(n > 0)) throw new Error(`--${name} must be a number above 0, got ${text}`);
    return n;
  };
  const hz = number('hz', values.hz);
  const orders = number('orders', values.orders);
  const top = number('top', values.top)!;

  const [before, after] = positionals.map((file) => {
    const samples = parsePerfScript(readFileSync(file, 'utf8'));
    if (samples.length === 0) throw new Error(`${file}: no samples (is it perf script output?)`);
    return { samples, counts: countByOwner(samples, values.by as 'owner' | 'function') };
  });
  const perOrder = (n: number) =>
    hz && orders ? `${((n / hz / orders) * 1000).toFixed(3).padStart(8)}` : '';
  const unit = hz && orders ? '  ms/order' : '';
  const signed = (n: number) => `${n > 0 ? '+' : ''}${n}`;
  const total = after!.samples.length - before!.samples.length;
  const totalPerOrder = unit ? `; ${perOrder(total).trim()} ms an order` : '';
  console.log(
    `samples: ${before!.samples.length} before, ${after!.samples.length} after (${signed(total)})${totalPerOrder}`,
  );
  console.log(
    `${'before'.padStart(7)} ${'after'.padStart(7)} ${'diff'.padStart(7)}${unit}  ${values.by}`,
  );
  for (const row of differences(before!.counts, after!.counts).slice(0, top)) {
    console.log(
      `${String(row.before).padStart(7)} ${String(row.after).padStart(7)} ${signed(row.difference).padStart(7)}${perOrder(row.difference)}  ${row.owner}`,
    );
  }
}

try {
  main();
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 2;
}
