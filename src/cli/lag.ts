import { busConfigFrom, busOptions, createBus } from '../bus/index.js';
import type { LagEntry } from '../bus/index.js';
import { defineCommand } from './command.js';
import { opt } from './options.js';

/** The lag table: one row per group, topic and (on Kafka) partition. */
export function formatLagTable(entries: readonly LagEntry[]): string {
  if (entries.length === 0) return 'no consumer groups found\n';
  const head = ['GROUP', 'TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG', 'PENDING'];
  const rows = entries.map((e) => [
    e.group,
    e.topic,
    e.partition === undefined ? '-' : String(e.partition),
    e.committed ?? '-',
    e.end ?? '-',
    String(e.lag),
    e.pending === undefined ? '-' : String(e.pending),
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
    { name: 'group', type: 'list', description: 'only these consumer groups (all by default)' },
    {
      name: 'topic',
      type: 'list',
      description: 'only these topics (default: orders, processed-orders, notified-orders)',
    },
    { name: 'json', type: 'boolean', default: false, description: 'print the entries as JSON' },
  ],
  async run({ values }) {
    const bus = await createBus(busConfigFrom(values));
    try {
      const groups = opt.list(values, 'group');
      const topics = opt.list(values, 'topic');
      const entries = await bus.lag({
        ...(groups.length ? { groups } : {}),
        ...(topics.length ? { topics } : {}),
      });
      process.stdout.write(
        opt.bool(values, 'json')
          ? `${JSON.stringify(entries, null, 2)}\n`
          : formatLagTable(entries),
      );
      return 0;
    } finally {
      await bus.close();
    }
  },
});
