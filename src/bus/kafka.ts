import { Kafka, Partitioners, logLevel } from 'kafkajs';
import type { Admin, Consumer, KafkaMessage, LogEntry, Producer } from 'kafkajs';
import {
  BUS_ERRORS,
  BusError,
  isMissingControllerError,
  kafkaUnreachable,
  nowUnreachable,
} from './errors.js';
import {
  checkTopicName,
  fromKafkaHeaders,
  parseKafkaBrokers,
  toKafkaHeaders,
} from './kafka-codec.js';
import type { DeliveryCounts } from './delivery-counts.js';
import { redeliveryDelayMs, sleep } from './redelivery.js';
import { finishedWithin } from '../errors/index.js';
import { TOPICS } from '../model/index.js';
import type {
  Bus,
  ConsumeOptions,
  IncomingMessage,
  LagEntry,
  MessageHandler,
  PublishReceipt,
  Subscription,
} from './types.js';

export interface KafkaBusOptions {
  /** `host:port` list; validated. */
  readonly brokers: readonly string[];
  readonly clientId?: string;
  /** Prepended to every topic name (none by default). */
  readonly topicPrefix?: string;
  /** Partitions of topics this bus creates. */
  readonly partitions?: number;
  /** Consumer session timeout and heartbeat: smaller values make rebalances quicker. */
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /** Connection attempts after the first before giving up. */
  readonly connectRetries?: number;
  /** Where kafkajs warnings and errors go (one line each). Default: stderr. */
  readonly log?: (line: string) => void;
  /** Where delivery counts live: Kafka keeps none, and a crash must not reset them. */
  readonly deliveryCounts: DeliveryCounts;
}

const DEFAULT_PARTITIONS = 4;
/** The longest a health check waits for the broker. */
const HEALTH_TIMEOUT_MS = 1000;

/**
 * Kafka through kafkajs: one topic per pipeline topic, one consumer group per service.
 * An offset is committed only after the handler resolves; a failed message is sought back
 * to, so it is delivered again before anything after it on its partition.
 */
export async function createKafkaBus(options: KafkaBusOptions): Promise<Bus> {
  const brokers = parseKafkaBrokers(options.brokers);
  const prefix = options.topicPrefix ?? '';
  const partitions = options.partitions ?? DEFAULT_PARTITIONS;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { kafka, admin, producer } = await connectKafka(options, brokers, log);

  // Health checks go through a client of their own that does not retry: a broker that is down
  // is reported at once, not after the backoff a publish rides out.
  const healthAdmin = new Kafka({
    clientId: `${options.clientId ?? 'tracelab'}-health`,
    brokers,
    connectionTimeout: HEALTH_TIMEOUT_MS,
    requestTimeout: HEALTH_TIMEOUT_MS,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();

  const ensureTopic = topicCreator(admin, partitions, log);

  const subscriptions = new Set<Subscription>();

  return {
    system: 'kafka',

    async publish(topic, message): Promise<PublishReceipt> {
      const name = checkTopicName(prefix + topic);
      await ensureTopic(name);
      const [meta] = await producer.send({
        topic: name,
        acks: -1,
        messages: [
          {
            key: message.key ?? null,
            value: message.value,
            headers: toKafkaHeaders(message.headers),
          },
        ],
      });
      const offset = meta?.baseOffset ?? meta?.offset ?? '';
      const partition = meta?.partition ?? 0;
      return { messageId: `${partition}:${offset}`, partition, offset };
    },

    async consume(topic, consumeOptions, handler): Promise<Subscription> {
      const name = checkTopicName(prefix + topic);
      await ensureTopic(name);
      const makeConsumer = () =>
        kafka.consumer({
          groupId: consumeOptions.group,
          allowAutoTopicCreation: true,
          // A fetch waits at most this long for data: it bounds how long stop() takes.
          maxWaitTimeInMs: 1000,
          // Shorter than kafkajs's 30 s, so a crashed consumer's partitions move on within
          // seconds: the recovery a learner wants to watch.
          sessionTimeout: options.sessionTimeoutMs ?? 10_000,
          heartbeatInterval: options.heartbeatIntervalMs ?? 1_000,
        });
      const sub = await runConsumer({
        makeConsumer,
        brokers,
        topic,
        kafkaTopic: name,
        options: consumeOptions,
        handler,
        counts: options.deliveryCounts,
        admin,
        log,
      });
      const tracked: Subscription = {
        stop: async () => {
          subscriptions.delete(tracked);
          await sub.stop();
        },
      };
      subscriptions.add(tracked);
      return tracked;
    },

    async lag(filter = {}) {
      return kafkaLag(admin, prefix, filter);
    },

    async ping() {
      try {
        await healthAdmin.connect();
        await healthAdmin.describeCluster();
      } catch (err) {
        throw nowUnreachable('Kafka', err);
      }
    },

    async close() {
      await Promise.all([...subscriptions].map((s) => s.stop()));
      await options.deliveryCounts.close();
      await producer.disconnect().catch(() => {});
      await admin.disconnect().catch(() => {});
      await healthAdmin.disconnect().catch(() => {});
    },
  };
}

/**
 * The client, its admin and an idempotent producer, connected (idempotence needs a
 * controller, which the in-memory test broker has not).
 */
async function connectKafka(
  options: KafkaBusOptions,
  brokers: string[],
  log: (line: string) => void,
): Promise<{ kafka: Kafka; admin: Admin; producer: Producer }> {
  // While connecting, a failure is reported once, as a BusError, not as kafkajs retry noise.
  let connecting = true;
  const kafka = new Kafka({
    clientId: options.clientId ?? 'tracelab',
    brokers,
    connectionTimeout: 3000,
    retry: { retries: options.connectRetries ?? 3, initialRetryTime: 100, maxRetryTime: 2000 },
    // Warnings and errors only: nothing per message on the hot path.
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      if (!connecting) log(formatKafkaLog(entry));
    },
  });

  const admin = kafka.admin();
  let producer: Producer;
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    const hasController = cluster.brokers.some((b) => b.nodeId === cluster.controller);
    // Idempotence needs a controller (InitProducerId); the in-memory test broker has none.
    producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: hasController,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
    });
    await producer.connect();
  } catch (err) {
    await admin.disconnect().catch(() => {});
    throw kafkaUnreachable(brokers, err);
  } finally {
    connecting = false;
  }

  return { kafka, admin, producer };
}

/**
 * Creates each topic once, with `partitions`, before its first use; a broker without a
 * controller (the in-memory test broker) auto-creates them instead, which is said once.
 */
function topicCreator(
  admin: Admin,
  partitions: number,
  log: (line: string) => void,
): (topic: string) => Promise<void> {
  const topicReady = new Map<string, Promise<void>>();
  let autoCreateNoted = false;
  return (topic: string): Promise<void> => {
    let ready = topicReady.get(topic);
    if (!ready) {
      ready = admin
        .createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true })
        .then(
          () => undefined,
          (err: unknown) => {
            if (!isMissingControllerError(err)) throw err;
            if (!autoCreateNoted) {
              autoCreateNoted = true;
              log(
                'kafka: the broker reports no reachable controller (the in-memory test broker?): topics are auto-created on first use with its default partitions',
              );
            }
          },
        );
      ready.catch(() => topicReady.delete(topic));
      topicReady.set(topic, ready);
    }
    return ready;
  };
}

/**
 * A member killed between committing a message and forgetting its count left the count
 * behind: once the group has settled, drop every count below the committed offsets.
 */
async function forgetCommittedCounts({ admin, options, kafkaTopic, counts }: ConsumerRun) {
  const [offsets] = await admin.fetchOffsets({ groupId: options.group, topics: [kafkaTopic] });
  const committed = new Map<number, bigint>();
  for (const p of offsets?.partitions ?? []) {
    if (/^\d+$/.test(p.offset)) committed.set(p.partition, BigInt(p.offset));
  }
  await counts.forgetCommitted(options.group, kafkaTopic, committed);
}

/** How long consume() waits for its first assignment before it returns anyway. */
const JOIN_WAIT_MS = 30_000;

/** What one subscription's consumer runs with. */
interface ConsumerRun {
  /** A fresh member of the group: the first, and one per restart after a crash. */
  readonly makeConsumer: () => Consumer;
  readonly brokers: readonly string[];
  /** The pipeline's name for the topic, as handlers see it. */
  readonly topic: string;
  /** Kafka's name for it (with the prefix). */
  readonly kafkaTopic: string;
  readonly options: ConsumeOptions;
  readonly handler: MessageHandler;
  readonly counts: DeliveryCounts;
  readonly admin: Admin;
  readonly log: (line: string) => void;
}

async function runConsumer(run: ConsumerRun): Promise<Subscription> {
  const { makeConsumer, brokers, topic, kafkaTopic, options, handler, counts, log } = run;
  const inHand = new Set<Promise<void>>();
  let stopping = false;
  const stopped = new AbortController();
  const forgetCommitted = () => forgetCommittedCounts(run);
  let forgetting = Promise.resolve();
  let consumer = makeConsumer();

  const handle = async (own: Consumer, partition: number, message: KafkaMessage) => {
    const id = `${partition}:${message.offset}`;
    let deliveries = 0;
    try {
      deliveries = await counts.next(options.group, kafkaTopic, id);
      await handler(toIncoming(topic, partition, message, deliveries));
    } catch {
      await sleep(redeliveryDelayMs(Math.max(1, deliveries)), stopped.signal);
      // Not committed: fetch this partition again from this message.
      if (!stopping) own.seek({ topic: kafkaTopic, partition, offset: message.offset });
      return;
    }
    const next = (BigInt(message.offset) + 1n).toString();
    await own.commitOffsets([{ topic: kafkaTopic, partition, offset: next }]);
    await counts.forget(options.group, kafkaTopic, id).catch(() => {});
  };

  // The first assignment to this subscription's member, whichever incarnation gets it.
  let joined: () => void = () => {};
  const firstJoin = new Promise<void>((resolve) => (joined = resolve));

  /** Connects `own` (unless it is), joins the group and starts consuming. */
  const start = async (own: Consumer, connected = false): Promise<void> => {
    own.on(own.events.GROUP_JOIN, () => {
      joined();
      // Best effort: a count left over is read by no delivery; the next join tries again.
      forgetting = forgetting.then(() => forgetCommitted().catch(() => {}));
    });
    own.on(own.events.CRASH, ({ payload }) => {
      // kafkajs restarts a consumer after retriable errors only; after any other (a broker
      // answering a rebalance with an error it does not know) it stays down and its
      // partitions would go unread. Start a fresh member instead.
      if (payload.restart || stopping || own !== consumer) return;
      log(
        `kafka: the consumer of ${kafkaTopic} in group ${options.group} stopped (${payload.error.message}); starting it again`,
      );
      void restart(1);
    });
    if (!connected) await own.connect();
    await own.subscribe({ topic: kafkaTopic, fromBeginning: true });
    await own.run({
      autoCommit: false,
      // One message at a time per partition keeps per-key order; partitions run side by side.
      partitionsConsumedConcurrently: Math.max(1, Math.floor(options.concurrency ?? 1)),
      eachMessage: async ({ partition, message }) => {
        // Stopping: take nothing new. Uncommitted, it goes to the next member of the group.
        if (stopping) return;
        const work = handle(own, partition, message);
        inHand.add(work);
        try {
          await work;
        } finally {
          inHand.delete(work);
        }
      },
    });
  };

  const restart = async (attempt: number): Promise<void> => {
    await sleep(redeliveryDelayMs(attempt), stopped.signal);
    if (stopping) return;
    const old = consumer;
    await old.disconnect().catch(() => {});
    // The old member's messages in hand finish first (uncommitted, they come back to the
    // group): a fresh member taking new ones beside them would run more than `concurrency`.
    await Promise.allSettled([...inHand]);
    if (stopping) return;
    consumer = makeConsumer();
    try {
      await start(consumer);
    } catch (err) {
      if (stopping) return;
      log(
        `kafka: could not start the consumer of ${kafkaTopic} again (${(err as Error).message}); trying again`,
      );
      await consumer.disconnect().catch(() => {});
      void restart(attempt + 1);
    }
  };

  try {
    await consumer.connect();
  } catch (err) {
    throw kafkaUnreachable(brokers, err);
  }
  await start(consumer, true);
  // Return once partitions are assigned, so a caller's first publish is not raced by a join.
  await waitForFirstJoin(firstJoin, run);
  return {
    stop: async () => {
      stopping = true;
      stopped.abort();
      // The messages in hand finish and are committed before the consumer leaves the group.
      await Promise.allSettled([...inHand]);
      await consumer.disconnect();
      await forgetting;
    },
  };
}

/** Waits for the first assignment, at most JOIN_WAIT_MS; past that, says so and returns. */
async function waitForFirstJoin(
  firstJoin: Promise<void>,
  { options, kafkaTopic, log }: ConsumerRun,
): Promise<void> {
  if (!(await finishedWithin(firstJoin, JOIN_WAIT_MS))) {
    log(
      `kafka: group ${options.group} has not given ${options.consumer} partitions of ${kafkaTopic} after ${JOIN_WAIT_MS / 1000} s; it keeps trying and consumes once the broker assigns them`,
    );
  }
}

function toIncoming(
  topic: string,
  partition: number,
  message: KafkaMessage,
  deliveryCount: number,
): IncomingMessage {
  return {
    topic,
    messageId: `${partition}:${message.offset}`,
    ...(message.key ? { key: message.key.toString('utf8') } : {}),
    value: message.value ? message.value.toString('utf8') : '',
    headers: fromKafkaHeaders(message.headers),
    publishedAtMs: Number(message.timestamp),
    partition,
    offset: message.offset,
    deliveryCount,
  };
}

/**
 * Lag per group, topic and partition: end offset − committed offset (from the earliest
 * offset when the group has not committed yet). Without DescribeGroups (the test broker has
 * none), a group shows on a topic once it has committed there, or when the topic is named.
 */
async function kafkaLag(
  admin: Admin,
  prefix: string,
  filter: { groups?: readonly string[]; topics?: readonly string[] },
): Promise<LagEntry[]> {
  const groups = filter.groups?.length ? filter.groups : await listGroups(admin);
  const existing = new Set(await admin.listTopics());
  const topics = (filter.topics?.length ? filter.topics : Object.values(TOPICS)).filter((t) =>
    existing.has(prefix + t),
  );
  if (topics.length === 0 || groups.length === 0) return [];
  const ends = new Map<string, Awaited<ReturnType<Admin['fetchTopicOffsets']>>>();
  for (const t of topics) ends.set(t, await admin.fetchTopicOffsets(prefix + t));
  const out: LagEntry[] = [];
  for (const group of groups) {
    const committed = await admin.fetchOffsets({
      groupId: group,
      topics: topics.map((t) => prefix + t),
    });
    for (const t of topics) {
      const parts = committed.find((c) => c.topic === prefix + t)?.partitions ?? [];
      const named = Boolean(filter.topics?.length);
      if (!named && parts.every((p) => Number(p.offset) < 0)) continue;
      for (const end of ends.get(t) ?? []) {
        const c = parts.find((p) => p.partition === end.partition);
        const at = c && Number(c.offset) >= 0 ? Number(c.offset) : Number(end.low);
        out.push({
          group,
          topic: t,
          partition: end.partition,
          ...(c && Number(c.offset) >= 0 ? { committed: c.offset } : {}),
          end: end.high,
          lag: Math.max(0, Number(end.high) - at),
        });
      }
    }
  }
  return out;
}

async function listGroups(admin: Admin): Promise<string[]> {
  try {
    const { groups } = await admin.listGroups();
    return groups.map((g) => g.groupId);
  } catch (err) {
    if ((err as Error).name === 'KafkaJSServerDoesNotSupportApiKey') {
      throw new BusError(
        BUS_ERRORS.BUS_ERR_GROUPS_UNLISTED,
        'this Kafka broker cannot list consumer groups: name them with --group (e.g. --group processing-service)',
      );
    }
    throw err;
  }
}

function formatKafkaLog({ namespace, label, log }: LogEntry): string {
  const detail = (log as { error?: string }).error;
  return `kafkajs ${label} [${namespace}] ${log.message}${detail ? `: ${detail}` : ''}`;
}
