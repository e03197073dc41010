import { busConfigFrom, busOptions, connectRedis, createBus } from '../bus/index.js';
import { TOPICS } from '../model/index.js';
import { DEFAULT_KEY_PREFIX } from '../bus/index.js';
import { deadLetterCounts, replayDeadLetters } from '../services/index.js';
import { createRedisOrderStore } from '../store/index.js';
import { defineCommand } from './command.js';
import { CliError } from './errors.js';
import { DEFAULT_REDIS_URL, opt } from '../config/index.js';

const ACTIONS = ['list', 'replay'] as const;

export const command = defineCommand({
  name: 'dlq',
  summary: 'dead letters: how many wait on each <topic>.dlq, and replaying them',
  usage: `dlq [${ACTIONS.join('|')}] [options]`,
  options: [
    ...busOptions,
    {
      name: 'topic',
      type: 'list',
      description: 'only these topics (default: orders, processed-orders, notified-orders)',
    },
    { name: 'json', type: 'boolean', default: false, description: 'print the result as JSON' },
  ],
  async run({ values, positionals }) {
    const action = positionals[0] ?? 'list';
    if (!(ACTIONS as readonly string[]).includes(action) || positionals.length > 1) {
      throw new CliError(
        `dlq takes one action, ${ACTIONS.join(' or ')} (got "${positionals.join(' ')}")`,
      );
    }
    const named = opt.list(values, 'topic');
    const topics = named.length > 0 ? named : Object.values(TOPICS);
    const json = opt.bool(values, 'json');
    const config = busConfigFrom(values);
    const bus = await createBus(config);
    try {
      if (action === 'list') {
        const counts = await deadLetterCounts(bus, topics);
        const rows = topics.map((topic) => ({
          topic: `${topic}.dlq`,
          waiting: counts.get(topic) ?? 0,
        }));
        if (json) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        } else {
          const width = Math.max(...rows.map((r) => r.topic.length), 'DEAD-LETTER TOPIC'.length);
          process.stdout.write(`${'DEAD-LETTER TOPIC'.padEnd(width)}  WAITING\n`);
          for (const r of rows)
            process.stdout.write(`${r.topic.padEnd(width)}  ${String(r.waiting).padStart(7)}\n`);
          if (rows.some((r) => r.waiting > 0))
            process.stdout.write('send them back with: tracelab dlq replay\n');
        }
        return 0;
      }
      const redis = await connectRedis(config.redisUrl ?? DEFAULT_REDIS_URL);
      try {
        const store = createRedisOrderStore(redis, {
          keyPrefix: config.keyPrefix ?? DEFAULT_KEY_PREFIX,
        });
        const { replayed } = await replayDeadLetters(bus, store, topics, {
          onReplayed: (d) => {
            if (!json) {
              // Fields of a malformed entry go back with it: say which.
              const fields = (d.extraFields ?? []).map(([name, value]) => `${name}=${value}`);
              process.stdout.write(
                `replayed ${d.key ?? d.messageId} to ${d.topic} (${d.deliveries} deliveries in ${d.group}: ${d.reason})${fields.length > 0 ? `, with fields ${fields.join(' ')}` : ''}\n`,
              );
            }
          },
        });
        if (json) process.stdout.write(`${JSON.stringify({ replayed }, null, 2)}\n`);
        else process.stdout.write(`${replayed.length} dead letter(s) replayed\n`);
        return 0;
      } finally {
        redis.disconnect();
      }
    } finally {
      await bus.close();
    }
  },
});
