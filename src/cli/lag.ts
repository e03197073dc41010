import { setTimeout as sleep } from 'node:timers/promises';
import { BUS_ERRORS, BusError, busConfigFrom, busOptions, createBus } from '../bus/index.js';
import type { Bus, LagEntry } from '../bus/index.js';
import { formatMs } from '../load/index.js';
import { SERVICES, TOPICS } from '../model/index.js';
import { deadLetterCounts } from '../services/index.js';
import { defineCommand } from './command.js';
import { opt } from '../config/index.js';

/** The lag table: one row per group, topic and (on Kafka) partition. */
export function formatLagTable(entries: readonly (LagEntry & { deadLetters?: number })[]): string {
  if (entries.length === 0) return 'no consumer groups found\n';
  const head = ['GROUP', 'TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG', 'PENDING', 'DEAD'];
  const rows = entries.map((e) => [
    e.group,
    e.topic,
    e.partition === undefined ? '-' : String(e.partition),
    e.committed ?? '-',
    e.end ?? '-',
    String(e.lag),
    e.pending === undefined ? '-' : String(e.pending),
    e.deadLetters === undefined ? '-' : String(e.deadLetters),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i >= 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

export const command = defineCommand({
  name: 'lag',
  summary: 'consumer lag per group on Redis Streams or Kafka',
  usage: 'lag [options]',
  options: [
    ...busOptions,
    {
      name: 'group',
      type: 'list',
      description:
        "only these consumer groups (default: all; on a broker that cannot list them, the pipeline's own)",
    },
    {
      name: 'topic',
      type: 'list',
      description: 'only these topics (default: orders, processed-orders, notified-orders)',
    },
    {
      name: 'json',
      type: 'boolean',
      default: false,
      description: 'print the entries as JSON (each with groupSource: flag, broker or pipeline)',
    },
    {
      name: 'watch',
      type: 'boolean',
      default: false,
      description: 'refresh every --interval until Ctrl-C (in place on a terminal)',
    },
    {
      name: 'interval',
      type: 'duration',
      default: '2s',
      min: 100,
      description: 'with --watch: time between refreshes',
    },
  ],
  async run({ values }) {
    const bus = await createBus(busConfigFrom(values));
    const groups = opt.list(values, 'group');
    const topics = opt.list(values, 'topic');
    let noted = false;
    const read = async () => {
      const { entries: lag, groupSource } = await readLag(bus, groups, topics);
      // Dead letters waiting on each topic's <topic>.dlq, beside its lag.
      const dead = await deadLetterCounts(bus, topics.length ? topics : Object.values(TOPICS));
      const entries = lag.map((e) => ({ ...e, deadLetters: dead.get(e.topic) ?? 0 }));
      if (groupSource === 'pipeline' && !noted) {
        noted = true;
        process.stderr.write(
          `tracelab lag: the broker cannot list consumer groups; showing the pipeline's own ` +
            `(${PIPELINE_GROUPS.join(', ')}); name others with --group\n`,
        );
      }
      return opt.bool(values, 'json')
        ? `${JSON.stringify(
            entries.map((e) => ({ ...e, groupSource })),
            null,
            2,
          )}\n`
        : formatLagTable(entries);
    };
    try {
      if (opt.bool(values, 'watch')) await watch(read, opt.ms(values, 'interval'));
      else process.stdout.write(await read());
      return 0;
    } finally {
      await bus.close();
    }
  },
});

/** The consumer groups of the pipeline's services (each group is named after its service). */
const PIPELINE_GROUPS = Object.values(SERVICES)
  .filter((s) => s.consumes !== undefined)
  .map((s) => s.serviceName);

/**
 * Where the groups shown came from: named with --group, listed by the broker, or, on a broker
 * that cannot list them (the Kafka test broker), the pipeline's own.
 */
type GroupSource = 'flag' | 'broker' | 'pipeline';

async function readLag(
  bus: Bus,
  groups: string[],
  topics: string[],
): Promise<{ entries: LagEntry[]; groupSource: GroupSource }> {
  const topicFilter = topics.length ? { topics } : {};
  if (groups.length)
    return { entries: await bus.lag({ groups, ...topicFilter }), groupSource: 'flag' };
  try {
    return { entries: await bus.lag(topicFilter), groupSource: 'broker' };
  } catch (err) {
    if (!(err instanceof BusError && err.code === BUS_ERRORS.BUS_ERR_GROUPS_UNLISTED)) throw err;
    const entries = await bus.lag({ groups: PIPELINE_GROUPS, ...topicFilter });
    return { entries, groupSource: 'pipeline' };
  }
}

/**
 * Prints `read()` every `intervalMs` until Ctrl-C or SIGTERM: on a terminal over the previous
 * table (cursor up, clear down), so it refreshes in place; elsewhere one table after another,
 * each under a time line.
 */
async function watch(read: () => Promise<string>, intervalMs: number): Promise<void> {
  const out = process.stdout;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let shownLines = 0;
  try {
    while (!stop.signal.aborted) {
      let body: string;
      try {
        body = await read();
      } catch (err) {
        // A bus that went away is reported and retried: watching is for a system that changes.
        body = `cannot read lag: ${(err as Error).message}\n`;
      }
      const text = `${new Date().toISOString()}  every ${formatMs(intervalMs)}, Ctrl-C to stop\n${body}`;
      if (out.isTTY) {
        out.write(`${shownLines > 0 ? `\x1b[${shownLines}A\x1b[0J` : ''}${text}`);
        shownLines = text.split('\n').length - 1;
      } else {
        out.write(`${text}\n`);
      }
      await sleep(intervalMs, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
