import { writeFile } from 'node:fs/promises';
import {
  apiUnreachableReason,
  awaitCompletion,
  buildReport,
  formatMs,
  formatReport,
  formatRows,
  runLoad,
} from '../load/index.js';
import type { CompletionResult, LoadPlan } from '../load/index.js';
import { INTENSITIES } from '../workload/index.js';
import type { Intensity } from '../workload/index.js';
import { defineCommand } from './command.js';
import { CliError } from './errors.js';
import { DEFAULT_API_URL, opt } from '../config/index.js';
import type { OptionSpec, OptionValues } from '../config/index.js';
import { bar, createStatusLine } from './status-line.js';

const loadOptions: readonly OptionSpec[] = [
  {
    name: 'url',
    type: 'string',
    env: 'TRACELAB_API_URL',
    default: DEFAULT_API_URL,
    description: 'the API service to send orders to',
  },
  {
    name: 'count',
    type: 'number',
    integer: true,
    min: 1,
    description: "send N orders, one every --interval (the spec's loop; the default: 10)",
  },
  {
    name: 'interval',
    type: 'duration',
    min: 0.001,
    description: 'with --count: time between orders (default: 1s)',
  },
  {
    name: 'burst',
    type: 'number',
    integer: true,
    min: 1,
    description: 'send N orders all at once',
  },
  {
    name: 'rate',
    type: 'number',
    min: 0.001,
    description: 'send R orders per second, open loop, for --duration',
  },
  {
    name: 'duration',
    type: 'duration',
    min: 1,
    description: 'with --rate: how long (default: 30s)',
  },
  {
    name: 'intensity',
    type: 'string',
    choices: INTENSITIES,
    description: "force every service's work to this intensity for these orders",
  },
  { name: 'item', type: 'string', default: 'load-product', description: "the orders' item" },
  {
    name: 'quantity',
    type: 'number',
    integer: true,
    min: 1,
    default: 1,
    description: "the orders' quantity",
  },
  {
    name: 'settle',
    type: 'duration',
    default: '60s',
    min: 0,
    description:
      'after sending, how long to wait for analytics to count every accepted order (0: do not wait)',
  },
  {
    name: 'connections',
    type: 'number',
    integer: true,
    min: 1,
    description:
      "keep-alive connections to the API (default: two seconds' worth of requests, or the burst)",
  },
  {
    name: 'timeout',
    type: 'duration',
    default: '30s',
    min: 1,
    description: 'give up on one request after this long',
  },
  {
    name: 'json',
    type: 'boolean',
    default: false,
    description: 'print the report as one JSON object',
  },
  {
    name: 'out',
    type: 'string',
    description: 'write one row per order to FILE: CSV if it ends in .csv, else JSON lines',
  },
];

/** The plan the flags ask for; exactly one of --count, --burst, --rate (none: the spec's loop). */
function planFrom(values: OptionValues): LoadPlan {
  const count = opt.maybeNum(values, 'count');
  const burst = opt.maybeNum(values, 'burst');
  const rate = opt.maybeNum(values, 'rate');
  const given = [count && '--count', burst && '--burst', rate && '--rate'].filter(Boolean);
  if (given.length > 1)
    throw new CliError(`choose one of --count, --burst and --rate, not ${given.join(' and ')}`);
  const interval = opt.maybeMs(values, 'interval');
  const duration = opt.maybeMs(values, 'duration');
  if (interval !== undefined && (burst || rate)) throw new CliError('--interval goes with --count');
  if (duration !== undefined && !rate) throw new CliError('--duration goes with --rate');
  if (burst) return { mode: 'burst', count: burst };
  if (rate) return { mode: 'rate', ratePerSec: rate, durationMs: duration ?? 30_000 };
  const plan: LoadPlan = { mode: 'interval', count: count ?? 10, intervalMs: interval ?? 1000 };
  return plan;
}

export const command = defineCommand({
  name: 'load',
  summary: 'send orders to the API open loop and report latency percentiles and completion',
  usage: 'load [--count N --interval 1s | --burst N | --rate R --duration 30s] [options]',
  options: loadOptions,
  async run({ values }) {
    const plan = planFrom(values);
    const url = opt.str(values, 'url');
    try {
      new URL(url);
    } catch {
      throw new CliError(`--url: "${url}" is not a URL, e.g. ${DEFAULT_API_URL}`);
    }
    const intensity = opt.maybeStr(values, 'intensity') as Intensity | undefined;
    const settleMs = opt.ms(values, 'settle');
    const out = opt.maybeStr(values, 'out');
    await checkReachable(url);

    const stop = new AbortController();
    const onSigint = () => stop.abort();
    process.once('SIGINT', onSigint);
    const status = createStatusLine();
    try {
      const run = await runLoad({
        url,
        plan,
        order: {
          item: opt.str(values, 'item'),
          quantity: opt.num(values, 'quantity'),
          ...(intensity ? { intensity } : {}),
        },
        ...(opt.maybeNum(values, 'connections')
          ? { connections: opt.maybeNum(values, 'connections')! }
          : {}),
        timeoutMs: opt.ms(values, 'timeout'),
        signal: stop.signal,
        onProgress: (p) =>
          status.update(
            `sending ${bar(p.sent / p.planned)} ${p.sent}/${p.planned} sent, ${p.answered} answered, ${p.errors} failed, ${formatMs(p.elapsedMs)}`,
          ),
      });
      status.done();

      let completion: CompletionResult | undefined;
      const ids = run.outcomes.flatMap((o) => (o.orderId ? [o.orderId] : []));
      if (settleMs > 0 && ids.length > 0 && !stop.signal.aborted) {
        const started = Date.now();
        const completions = await awaitCompletion({
          url,
          orderIds: ids,
          settleMs,
          signal: stop.signal,
          onProgress: (p) =>
            status.update(
              `completing ${bar(p.completed / p.accepted)} ${p.completed}/${p.accepted} orders counted by analytics, ${formatMs(p.elapsedMs)}`,
            ),
        });
        status.done();
        completion = { completions, settleMs, waitedMs: Date.now() - started };
      }

      const report = buildReport({ url, plan, intensity, run, completion });
      if (out) {
        await writeFile(
          out,
          formatRows(run.outcomes, completion?.completions, out.endsWith('.csv') ? 'csv' : 'jsonl'),
        ).catch((err: NodeJS.ErrnoException) => {
          throw new CliError(`--out: cannot write ${out}: ${err.code ?? err.message}`, 1);
        });
      }
      process.stdout.write(
        opt.bool(values, 'json') ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report),
      );
      if (stop.signal.aborted) return 130;
      // Lost or refused orders are what a load run exists to find: say so in the exit code.
      return report.requests.failed > 0 || (report.completion?.missing ?? 0) > 0 ? 1 : 0;
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
});

/** A quick clear answer when nothing listens, instead of a report full of refused requests. */
async function checkReachable(url: string): Promise<void> {
  const cause = await apiUnreachableReason(url);
  if (cause !== undefined) {
    throw new CliError(`cannot reach the API at ${url} (${cause}); is \`tracelab up\` running?`, 1);
  }
}
