import type { Bus, IncomingMessage, DeadLetter } from '../bus/index.js';
import type { OrderStore } from '../store/index.js';
import { dlqTopic, readDeadLetter, toReplay } from '../bus/index.js';
import { isOrderId } from '../model/index.js';
import { finishedWithin } from '../errors/index.js';

/**
 * The dead-letter topics as a user works with them: how many wait, and replaying them.
 * Replay reads `<topic>.dlq` as one consumer group of its own, so what was replayed is
 * acknowledged (and trimmed) like any consumed message, on Redis Streams and Kafka alike.
 */
const REPLAY_GROUP = 'tracelab-dlq-replay';

/** Dead letters not yet replayed, per original topic. */
export async function deadLetterCounts(
  bus: Bus,
  topics: readonly string[],
): Promise<Map<string, number>> {
  const entries = await bus.lag({ groups: [REPLAY_GROUP], topics: topics.map(dlqTopic) });
  const counts = new Map<string, number>();
  for (const e of entries) {
    const topic = e.topic.slice(0, -dlqTopic('').length);
    counts.set(topic, (counts.get(topic) ?? 0) + e.lag + (e.pending ?? 0));
  }
  return counts;
}

export interface ReplayResult {
  readonly replayed: DeadLetter[];
}

/**
 * Sends every waiting dead letter of `topics` back to its topic, oldest first, and marks its
 * order in progress again; stops once the dead-letter topics are drained.
 */
export async function replayDeadLetters(
  bus: Bus,
  store: OrderStore,
  topics: readonly string[],
  options: { readonly onReplayed?: (d: DeadLetter) => void; readonly timeoutMs?: number } = {},
): Promise<ReplayResult> {
  const replayed: DeadLetter[] = [];
  const waiting = await deadLetterCounts(bus, topics);
  for (const topic of topics) {
    const count = waiting.get(topic) ?? 0;
    if (count === 0) continue;
    let done = 0;
    let finished!: () => void;
    const drained = new Promise<void>((resolve) => (finished = resolve));
    const handler = async (message: IncomingMessage) => {
      const letter = readDeadLetter(message);
      if (letter) {
        if (letter.key && isOrderId(letter.key)) await store.clearDeadLettered(letter.key);
        await bus.publish(letter.topic, toReplay(message));
        replayed.push(letter);
        options.onReplayed?.(letter);
      }
      if (++done >= count) finished();
    };
    const sub = await bus.consume(
      dlqTopic(topic),
      { group: REPLAY_GROUP, consumer: 'replay' },
      handler,
    );
    await finishedWithin(drained, options.timeoutMs ?? 30_000);
    await sub.stop();
  }
  return { replayed };
}
