/**
 * The message bus, as the services see it. Adapters (Redis Streams, Kafka) sit beside this
 * file; callers hold only `Bus`. Tracing is a decorator over any adapter (see traced-bus.ts),
 * so messaging spans have the same shape whatever carries the messages.
 */

import type { LagEntry } from '../model/index.js';

export type { LagEntry };

/** Message headers: W3C `traceparent`, `tracestate`, `baggage`, and any others. */
export type MessageHeaders = Record<string, string>;

/**
 * Set by the traced bus on every send: when the producer handed the message to the bus, in
 * microseconds since the epoch with three decimals (nanoseconds) on its span clock: the instant
 * its `send` span ends. A consumer's queue wait is counted from it.
 */
export const SENT_AT_HEADER = 'x-sent-at-us';

/**
 * Fields of a Redis stream entry that are none of the message's own (`value`, `key`, `h:*`),
 * in entry order: kept, so a malformed entry set aside as a dead letter, and replayed, is the
 * entry that was sent. Redis Streams only; Kafka records have no such fields.
 */
export type ExtraFields = readonly (readonly [name: string, value: string])[];

export interface OutgoingMessage {
  /** Partition key (Kafka); ordering is kept per key. The order id in the pipeline. */
  readonly key?: string;
  readonly value: string;
  readonly headers?: MessageHeaders;
  /** Written back under their own names (Redis Streams). */
  readonly extraFields?: ExtraFields;
}

export interface PublishReceipt {
  /** Redis stream entry id, or `<partition>:<offset>` on Kafka. */
  readonly messageId: string;
  readonly partition?: number;
  readonly offset?: string;
}

export interface IncomingMessage {
  readonly topic: string;
  readonly messageId: string;
  readonly key?: string;
  readonly value: string;
  readonly headers: MessageHeaders;
  /** Entry fields the bus does not know, when there are any. */
  readonly extraFields?: ExtraFields;
  /**
   * When the bus took it (epoch ms, the bus's clock: the Redis entry id's time, the Kafka
   * record's timestamp). Queue waits use the producer's `SENT_AT_HEADER` instead, and this
   * only for a message without one.
   */
  readonly publishedAtMs: number;
  readonly partition?: number;
  readonly offset?: string;
  /** 1 on first delivery; more when redelivered after a failure or a crash. */
  readonly deliveryCount: number;
}

export interface ConsumeOptions {
  /** Consumer group, named after the service, e.g. `processing-service`. */
  readonly group: string;
  /** This consumer's name in the group; stable across restarts of the same replica. */
  readonly consumer: string;
  /** Messages handled at once by this consumer. Default 1: head-of-line blocking, visible. */
  readonly concurrency?: number;
}

/** Resolves when the message is handled; it is acknowledged only then. Throwing leaves it for redelivery. */
export type MessageHandler = (message: IncomingMessage) => Promise<void>;

export interface Subscription {
  /** Takes no new messages, waits for those in hand to finish and be acknowledged. */
  stop(): Promise<void>;
}

export interface Bus {
  /** `messaging.system` value: `redis` or `kafka`. */
  readonly system: 'redis' | 'kafka';
  publish(topic: string, message: OutgoingMessage): Promise<PublishReceipt>;
  consume(topic: string, options: ConsumeOptions, handler: MessageHandler): Promise<Subscription>;
  /** Lag of each consumer group on each topic (or only those named). */
  lag(filter?: { groups?: readonly string[]; topics?: readonly string[] }): Promise<LagEntry[]>;
  /**
   * Resolves when the bus answers; rejects at once, saying why, when it is unreachable: what
   * a health check asks, without waiting out the retries a publish makes.
   */
  ping(): Promise<void>;
  close(): Promise<void>;
}
