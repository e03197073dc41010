import type { Redis } from 'ioredis';
import { nowUnreachable } from './errors.js';
import { connectRedis, duplicateConnection } from './redis-connection.js';
import { redeliveryDelayMs, sleep } from './redelivery.js';
import { TOPICS } from '../model/index.js';
import { DEFAULT_KEY_PREFIX, DEFAULT_READ_AHEAD_MS, MAX_READ_AHEAD } from './options.js';
import type {
  Bus,
  ConsumeOptions,
  IncomingMessage,
  LagEntry,
  MessageHandler,
  MessageHeaders,
  OutgoingMessage,
  PublishReceipt,
  Subscription,
} from './types.js';

export interface RedisStreamsBusOptions {
  readonly redisUrl: string;
  /** Stream key = keyPrefix + topic. */
  readonly keyPrefix?: string;
  /** Pending entries idle longer than this are claimed from (presumed dead) consumers. */
  readonly claimIdleMs?: number;
  /** How often a consumer looks for such entries. Default: min(claimIdleMs, 5 s). */
  readonly claimIntervalMs?: number;
  /** XREADGROUP BLOCK time: the longest stop() waits for an idle read to return. */
  readonly blockMs?: number;
  /** How often a consumer trims what every group has acknowledged from its stream; 0: never. */
  readonly trimIntervalMs?: number;
  /**
   * How much work, in milliseconds of its recent handling time, a consumer may read ahead of
   * what it has in hand; 0: none. Reading several entries at once saves a round trip per
   * entry under load; the bound keeps a replica from holding work a sibling could start.
   */
  readonly readAheadMs?: number;
  readonly connectRetries?: number;
  /**
   * A connection of the caller's for publishing and other short commands (the bus does not
   * close it). Shared with the order store and auto-pipelined, a stage's publish and its
   * record update leave in one write. Default: the bus opens its own.
   */
  readonly connection?: Redis;
}

const DEFAULT_CLAIM_IDLE_MS = 30_000;
const DEFAULT_TRIM_INTERVAL_MS = 1000;

/**
 * Trims the entries that every group of the stream has acknowledged, and nothing else: the
 * floor is, per group, its oldest pending entry, or its last delivered entry when none is
 * pending; the stream keeps everything from the lowest floor on. New deliveries only ever
 * add pending entries above a group's last delivered id, so the floor never moves down
 * between reading it and trimming. A stream without groups is left alone. Approximate (~)
 * trimming drops whole internal nodes: cheap, and it never removes an entry at or above
 * the floor.
 */
const TRIM_ACKNOWLEDGED = `
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 then return 0 end
local function before(a, b)
  local ams, aseq = string.match(a, '^(%d+)-(%d+)$')
  local bms, bseq = string.match(b, '^(%d+)-(%d+)$')
  ams, bms = tonumber(ams), tonumber(bms)
  if ams ~= bms then return ams < bms end
  return tonumber(aseq) < tonumber(bseq)
end
local floor = nil
for _, g in ipairs(groups) do
  local info = {}
  for i = 1, #g, 2 do info[g[i]] = g[i + 1] end
  local mine = info['last-delivered-id']
  if tonumber(info['pending']) > 0 then
    mine = redis.call('XPENDING', KEYS[1], info['name'])[2]
  end
  if floor == nil or before(mine, floor) then floor = mine end
end
if floor == '0-0' then return 0 end
return redis.call('XTRIM', KEYS[1], 'MINID', '~', floor)`;

const FIELD_VALUE = 'value';
const FIELD_KEY = 'key';
/** Headers are stored flattened, one field each (`h:traceparent`): leaner than JSON. */
const HEADER_FIELD_PREFIX = 'h:';

/** A field name of the message's own: the value, the key, a header. */
function isMessageField(name: string): boolean {
  return name === FIELD_VALUE || name === FIELD_KEY || name.startsWith(HEADER_FIELD_PREFIX);
}

/** Stream entry fields for one message. */
export function encodeEntry(message: OutgoingMessage): string[] {
  const fields = [FIELD_VALUE, message.value];
  if (message.key !== undefined) fields.push(FIELD_KEY, message.key);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) fields.push(HEADER_FIELD_PREFIX + name, value);
  }
  // An extra field never stands in for the message's own: it would be read back as one.
  for (const [name, value] of message.extraFields ?? []) {
    if (!isMessageField(name)) fields.push(name, value);
  }
  return fields;
}

/** Epoch ms from a stream entry id (`<ms>-<seq>`): when Redis appended it. */
function entryIdMs(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

export function decodeEntry(
  topic: string,
  id: string,
  fields: readonly string[],
  deliveryCount: number,
): IncomingMessage {
  let value = '';
  let key: string | undefined;
  const headers: MessageHeaders = {};
  const extraFields: [string, string][] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!;
    const v = fields[i + 1]!;
    if (name === FIELD_VALUE) value = v;
    else if (name === FIELD_KEY) key = v;
    else if (name.startsWith(HEADER_FIELD_PREFIX))
      headers[name.slice(HEADER_FIELD_PREFIX.length)] = v;
    else extraFields.push([name, v]);
  }
  return {
    topic,
    messageId: id,
    ...(key !== undefined ? { key } : {}),
    value,
    headers,
    ...(extraFields.length > 0 ? { extraFields } : {}),
    publishedAtMs: entryIdMs(id),
    deliveryCount,
  };
}

type RawEntry = [id: string, fields: string[] | null];
type ReadReply = [stream: string, entries: RawEntry[]][] | null;

/**
 * Redis Streams: one stream per topic, one consumer group per service, one consumer per
 * replica. Consumers trim their stream of what every group has acknowledged, so memory stays
 * flat on a long run; an entry is never removed before every group has acknowledged it, so
 * an accepted order cannot be lost (see docs/bus.md).
 */
export async function createRedisStreamsBus(options: RedisStreamsBusOptions): Promise<Bus> {
  const url = options.redisUrl;
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const claimIdleMs = options.claimIdleMs ?? DEFAULT_CLAIM_IDLE_MS;
  const settings: ReaderSettings = {
    claimIdleMs,
    claimIntervalMs: options.claimIntervalMs ?? Math.min(claimIdleMs, 5000),
    blockMs: options.blockMs ?? 1000,
    trimIntervalMs: options.trimIntervalMs ?? DEFAULT_TRIM_INTERVAL_MS,
    readAheadMs: options.readAheadMs ?? DEFAULT_READ_AHEAD_MS,
  };
  const ownsMain = options.connection === undefined;
  const main =
    options.connection ?? (await connectRedis(url, { connectRetries: options.connectRetries }));
  const readers = new Set<StreamReader>();

  return {
    system: 'redis',

    async publish(topic, message): Promise<PublishReceipt> {
      const id = await main.xadd(prefix + topic, '*', ...encodeEntry(message));
      return { messageId: id! };
    },

    async consume(topic, consumeOptions, handler): Promise<Subscription> {
      const stream = prefix + topic;
      await createGroup(main, stream, consumeOptions.group);
      const conn = await duplicateConnection(main, url);
      const reader = new StreamReader({
        main,
        conn,
        topic,
        stream,
        options: consumeOptions,
        handler,
        settings,
      });
      readers.add(reader);
      reader.start();
      return {
        stop: async () => {
          await reader.stop();
          readers.delete(reader);
        },
      };
    },

    async lag(filter) {
      return streamLag(main, prefix, filter);
    },

    async ping() {
      // The connection fails a command at once while it is down (see connectRedis).
      try {
        await main.ping();
      } catch (err) {
        throw nowUnreachable('Redis', err);
      }
    },

    async close() {
      await Promise.all([...readers].map((r) => r.stop()));
      readers.clear();
      if (ownsMain) await main.quit().catch(() => main.disconnect());
    },
  };
}

async function createGroup(redis: Redis, stream: string, group: string): Promise<void> {
  try {
    // Id 0: a group created after orders were published still gets them all.
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
  } catch (err) {
    if (!/BUSYGROUP/.test((err as Error).message)) throw err;
  }
}

interface ReaderSettings {
  readonly claimIdleMs: number;
  readonly claimIntervalMs: number;
  readonly blockMs: number;
  readonly trimIntervalMs: number;
  readonly readAheadMs: number;
}

interface ReaderParts {
  /** The shared connection: group creation and acknowledgements. */
  readonly main: Redis;
  /** This reader's own connection, for its blocking reads. */
  readonly conn: Redis;
  /** The pipeline's name for the topic, as handlers see it. */
  readonly topic: string;
  /** The stream's key (with the prefix). */
  readonly stream: string;
  readonly options: ConsumeOptions;
  readonly handler: MessageHandler;
  readonly settings: ReaderSettings;
}

/**
 * One consumer in a group, reading on its own connection. At most `concurrency` entries in
 * hand, and a few more read ahead when its work is quick; an entry is acknowledged only after
 * its handler resolves, in the same round trip as the next read where possible.
 */
class StreamReader {
  private readonly concurrency: number;
  private readonly group: string;
  private readonly consumer: string;
  private readonly inHand = new Set<string>();
  /** Read ahead, delivered to this consumer (pending) and not yet handed to the handler. */
  private readonly ahead: IncomingMessage[] = [];
  /** Recent handling time per message, ms (moving average); undefined until one is done. */
  private handlingMs: number | undefined;
  private acks: string[] = [];
  private stopping = false;
  private readInFlight = false;
  private wake: (() => void) | undefined;
  /** While set, reads return this consumer's own pending entries after this id. */
  private historyCursor: string | undefined = '0';
  private claimCursor = '0-0';
  private nextClaimAtMs = 0;
  private nextTrimAtMs = 0;
  private ackedSinceTrim = false;
  private readonly stopped = new AbortController();
  private loop: Promise<void> | undefined;

  private readonly main: Redis;
  private readonly conn: Redis;
  private readonly topic: string;
  private readonly stream: string;
  private readonly handler: MessageHandler;
  private readonly settings: ReaderSettings;

  constructor({ main, conn, topic, stream, options, handler, settings }: ReaderParts) {
    this.main = main;
    this.conn = conn;
    this.topic = topic;
    this.stream = stream;
    this.handler = handler;
    this.settings = settings;
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    this.group = options.group;
    this.consumer = options.consumer;
    this.nextClaimAtMs = Date.now() + settings.claimIntervalMs;
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    this.wakeUp();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      await this.waitForCapacity();
      if (this.stopping) break;
      const early = this.ahead.shift();
      if (early) {
        this.dispatch(early);
        continue;
      }
      try {
        const free = this.concurrency - this.inHand.size;
        const messages = await this.next(free);
        failures = 0;
        for (const m of messages) {
          if (this.inHand.size < this.concurrency) this.dispatch(m);
          else this.ahead.push(m);
        }
        await this.trimNowAndThen();
      } catch (err) {
        if (this.stopping) break;
        if (/NOGROUP/.test((err as Error).message)) {
          await createGroup(this.main, this.stream, this.group).catch(() => {});
        }
        // Redis restarting or unreachable for a while: back off, keep the messages in hand.
        failures++;
        await sleep(Math.min(100 * 2 ** failures, 2000), this.stopped.signal);
      }
    }
    // Entries read ahead were delivered to this consumer: finish them (a few milliseconds of
    // work at most) rather than leave them pending until a claim.
    for (let m = this.ahead.shift(); m; m = this.ahead.shift()) {
      while (this.inHand.size >= this.concurrency) {
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
      this.dispatch(m);
    }
    await this.waitForAllDone();
    if (this.acks.length > 0) {
      await this.conn.xack(this.stream, this.group, ...this.acks).catch(() => {});
      this.acks = [];
    }
    await this.conn.quit().catch(() => this.conn.disconnect());
  }

  /** Own pending entries first (a restarted replica finishes its work), then claims, then new. */
  private async next(free: number): Promise<IncomingMessage[]> {
    if (this.historyCursor !== undefined) {
      const entries = await this.read(free, this.historyCursor);
      if (entries.length === 0) {
        this.historyCursor = undefined;
        return [];
      }
      this.historyCursor = entries[entries.length - 1]![0];
      return this.withDeliveryCounts(entries);
    }
    if (Date.now() >= this.nextClaimAtMs) {
      const claimed = await this.claim(free);
      if (claimed.length > 0) return this.withDeliveryCounts(claimed);
    }
    const entries = await this.read(free + this.readAhead(), '>');
    return this.decode(entries, () => 1);
  }

  private async read(count: number, id: string): Promise<RawEntry[]> {
    const args: (string | number)[] = ['GROUP', this.group, this.consumer, 'COUNT', count];
    if (id === '>') args.push('BLOCK', this.settings.blockMs);
    args.push('STREAMS', this.stream, id);
    const reply = (await this.withAcks(['XREADGROUP', ...args], id === '>')) as ReadReply;
    const entries = reply?.[0]?.[1] ?? [];
    // An entry deleted from the stream while pending comes back without fields: nothing to do.
    for (const [eid, fields] of entries) if (fields === null) this.acks.push(eid);
    return entries.filter(([, fields]) => fields !== null);
  }

  private async claim(free: number): Promise<RawEntry[]> {
    const reply = (await this.withAcks([
      'XAUTOCLAIM',
      this.stream,
      this.group,
      this.consumer,
      this.settings.claimIdleMs,
      this.claimCursor,
      'COUNT',
      free,
    ])) as [string, RawEntry[], string[]?];
    this.claimCursor = reply[0];
    if (this.claimCursor === '0-0') this.nextClaimAtMs = Date.now() + this.settings.claimIntervalMs;
    // A slow handler of ours can outlast the claim timeout: in hand or just done, not lost.
    return reply[1].filter(
      ([id, fields]) =>
        fields !== null &&
        !this.inHand.has(id) &&
        !this.acks.includes(id) &&
        !this.ahead.some((m) => m.messageId === id),
    );
  }

  /**
   * Runs one command on the reading connection, preceded by the acknowledgements waiting to
   * be sent: one round trip for both, and nothing acknowledged is read or claimed again.
   */
  private async withAcks(command: (string | number)[], blocking = false): Promise<unknown> {
    const acks = this.acks;
    this.acks = [];
    const pipeline = this.conn.pipeline();
    if (acks.length > 0) pipeline.xack(this.stream, this.group, ...acks);
    pipeline.call(String(command[0]), ...command.slice(1));
    this.readInFlight = blocking;
    let results: [Error | null, unknown][];
    try {
      results = (await pipeline.exec()) ?? [];
    } catch (err) {
      this.acks.push(...acks);
      throw err;
    } finally {
      this.readInFlight = false;
    }
    const ackResult = acks.length > 0 ? results[0] : undefined;
    const result = results[results.length - 1];
    if (ackResult?.[0]) this.acks.push(...acks);
    if (!result) throw new Error('no reply from Redis');
    if (result[0]) throw result[0];
    return result[1];
  }

  private async withDeliveryCounts(entries: RawEntry[]): Promise<IncomingMessage[]> {
    if (entries.length === 0) return [];
    const first = entries[0]![0];
    const last = entries[entries.length - 1]![0];
    const rows = (await this.conn.call(
      'XPENDING',
      this.stream,
      this.group,
      first,
      last,
      entries.length,
      this.consumer,
    )) as [string, string, number, number][];
    const counts = new Map(rows.map(([id, , , deliveries]) => [id, Number(deliveries)]));
    return this.decode(entries, (id) => counts.get(id) ?? 2);
  }

  /**
   * Entries to read beyond the free slots: as many as fit in the read-ahead budget at the
   * recent handling time. Slow work (the spec's heavy and severe runs) reads none, so a
   * sibling replica takes the next entry; fast work under load reads several per round trip.
   */
  private readAhead(): number {
    if (this.handlingMs === undefined || this.settings.readAheadMs <= 0) return 0;
    const fit = Math.floor(this.settings.readAheadMs / Math.max(this.handlingMs, 0.1));
    return Math.min(MAX_READ_AHEAD, fit);
  }

  private decode(entries: RawEntry[], count: (id: string) => number): IncomingMessage[] {
    return entries.map(([id, fields]) => decodeEntry(this.topic, id, fields!, count(id)));
  }

  private dispatch(message: IncomingMessage): void {
    this.inHand.add(message.messageId);
    void this.handle(message);
  }

  /**
   * Handles a message until it succeeds. A failure is delivered again to this consumer after
   * a backoff, through XCLAIM, so Redis counts the delivery; it stays in hand meanwhile, so
   * the messages behind it wait (the handler dead-letters it once it has failed too often).
   * Stopping, or Redis gone, leaves it pending: claimed again later, never lost.
   */
  private async handle(message: IncomingMessage): Promise<void> {
    let current: IncomingMessage | undefined = message;
    try {
      while (current) {
        const startedAt = performance.now();
        try {
          await this.handler(current);
          this.noteHandlingTime(performance.now() - startedAt);
          this.ack(current.messageId);
          return;
        } catch {
          this.noteHandlingTime(performance.now() - startedAt);
          await sleep(redeliveryDelayMs(current.deliveryCount), this.stopped.signal);
          if (this.stopping) return;
          current = await this.redeliverWhenBack(current);
        }
      }
    } finally {
      this.inHand.delete(message.messageId);
      this.wakeUp();
    }
  }

  /**
   * Redelivers once Redis answers: while it is down the message stays in hand, retried with
   * a backoff, so it is handled as soon as Redis is back rather than claimed after the idle
   * timeout. Undefined when stopping (it stays pending) or when the entry is gone.
   */
  private async redeliverWhenBack(message: IncomingMessage): Promise<IncomingMessage | undefined> {
    for (let failures = 1; !this.stopping; failures++) {
      try {
        return await this.redeliver(message);
      } catch {
        await sleep(Math.min(100 * 2 ** failures, 2000), this.stopped.signal);
      }
    }
    return undefined;
  }

  /** The same entry, claimed again by this consumer: its delivery count goes up by one. */
  private async redeliver(message: IncomingMessage): Promise<IncomingMessage | undefined> {
    const entries = (await this.main.xclaim(
      this.stream,
      this.group,
      this.consumer,
      0,
      message.messageId,
    )) as RawEntry[];
    const entry = entries.find(([, fields]) => fields !== null);
    if (!entry) return undefined;
    return decodeEntry(this.topic, entry[0], entry[1]!, message.deliveryCount + 1);
  }

  /** At most once per interval, and only after acknowledgements: idle consumers cost nothing. */
  private async trimNowAndThen(): Promise<void> {
    if (this.settings.trimIntervalMs <= 0 || !this.ackedSinceTrim) return;
    const now = Date.now();
    if (now < this.nextTrimAtMs) return;
    this.nextTrimAtMs = now + this.settings.trimIntervalMs;
    this.ackedSinceTrim = false;
    // Best effort: a trim that fails (Redis restarting) is simply done next time.
    await this.main.eval(TRIM_ACKNOWLEDGED, 1, this.stream).catch(() => {});
  }

  private noteHandlingTime(ms: number): void {
    this.handlingMs = this.handlingMs === undefined ? ms : 0.8 * this.handlingMs + 0.2 * ms;
  }

  private ack(id: string): void {
    this.ackedSinceTrim = true;
    if (!this.readInFlight) {
      // Sent with the next read, in one round trip.
      this.acks.push(id);
      return;
    }
    // The reading connection is blocked in XREADGROUP: acknowledge on the shared one.
    this.main.xack(this.stream, this.group, id).catch(() => this.acks.push(id));
  }

  private waitForCapacity(): Promise<void> {
    if (this.stopping || this.inHand.size < this.concurrency) return Promise.resolve();
    return new Promise<void>((resolve) => (this.wake = resolve)).then(() => this.waitForCapacity());
  }

  private async waitForAllDone(): Promise<void> {
    while (this.inHand.size > 0) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** Lag per group per stream, from XINFO STREAM and XINFO GROUPS (Redis 7 reports `lag`). */
async function streamLag(
  redis: Redis,
  prefix: string,
  filter: { groups?: readonly string[]; topics?: readonly string[] } = {},
): Promise<LagEntry[]> {
  const topics = filter.topics ?? Object.values(TOPICS);
  const pipeline = redis.pipeline();
  for (const topic of topics) {
    pipeline.call('XINFO', 'STREAM', prefix + topic);
    pipeline.call('XINFO', 'GROUPS', prefix + topic);
  }
  const results = (await pipeline.exec()) ?? [];
  const out: LagEntry[] = [];
  for (const [i, topic] of topics.entries()) {
    const [streamErr, streamInfo] = results[2 * i] ?? [null, null];
    const [groupsErr, groupsInfo] = results[2 * i + 1] ?? [null, null];
    // A stream nobody has published to or consumed from yet: no groups, no lag.
    if (streamErr || groupsErr) {
      const err = (streamErr ?? groupsErr) as Error;
      if (/no such key/i.test(err.message)) continue;
      throw err;
    }
    const info = pairs(streamInfo as unknown[]);
    const end = String(info['last-generated-id']);
    const present = new Set((groupsInfo as unknown[][]).map((raw) => String(pairs(raw).name)));
    // A group named but not created yet would start from the first entry: all of it is lag.
    for (const group of filter.groups ?? []) {
      if (!present.has(group))
        out.push({ group, topic, end, lag: Number(info.length), pending: 0 });
    }
    for (const raw of groupsInfo as unknown[][]) {
      const g = pairs(raw);
      const group = String(g.name);
      if (filter.groups && !filter.groups.includes(group)) continue;
      const committed = String(g['last-delivered-id']);
      const lag =
        g.lag === null || g.lag === undefined
          ? await countAfter(redis, prefix + topic, committed)
          : Number(g.lag);
      out.push({ group, topic, committed, end, lag, pending: Number(g.pending) });
    }
  }
  return out;
}

/** Redis cannot say the lag after deletions in the middle of a stream: count entries instead. */
async function countAfter(redis: Redis, stream: string, id: string): Promise<number> {
  const entries = await redis.xrange(stream, `(${id}`, '+', 'COUNT', 100_000);
  return entries.length;
}

function pairs(flat: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}
