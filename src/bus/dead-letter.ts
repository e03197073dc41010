import { SENT_AT_HEADER } from './types.js';
import type { ExtraFields, IncomingMessage, MessageHeaders, OutgoingMessage } from './types.js';

/**
 * Dead letters: a message a consumer cannot handle is never dropped. After too many failed
 * deliveries (or at once, when retrying cannot help: a body that is not an order) it is set
 * aside on `<topic>.dlq` with why, where `tracelab dlq` shows it and `tracelab dlq replay`
 * sends it back. Pure: what goes on the dead-letter topic and how to read it back.
 */

const DEAD_LETTER_SUFFIX = '.dlq';
export const DEFAULT_MAX_DELIVERIES = 5;

export const dlqTopic = (topic: string): string => `${topic}${DEAD_LETTER_SUFFIX}`;

/** Header names carried by a dead letter, beside the original message's own headers. */
const DLQ_HEADERS = {
  topic: 'x-dlq-topic',
  group: 'x-dlq-group',
  messageId: 'x-dlq-message-id',
  deliveries: 'x-dlq-deliveries',
  errorType: 'x-dlq-error-type',
  reason: 'x-dlq-reason',
  atMs: 'x-dlq-at-ms',
} as const;

/** Headers set again on every send: trace context and the hand-off time. */
const PER_SEND = new Set(['traceparent', 'tracestate', SENT_AT_HEADER]);

export interface DeadLetter {
  readonly topic: string;
  readonly group: string;
  readonly messageId: string;
  readonly key?: string;
  readonly deliveries: number;
  readonly errorType: string;
  readonly reason: string;
  readonly atMs: number;
  /** The original entry's fields the bus does not know (Redis Streams), as they came. */
  readonly extraFields?: ExtraFields;
}

/** The original message's own parts: key, value and entry fields it carried, unchanged. */
function originalParts(message: IncomingMessage): OutgoingMessage {
  return {
    ...(message.key !== undefined ? { key: message.key } : {}),
    value: message.value,
    ...(message.extraFields ? { extraFields: message.extraFields } : {}),
  };
}

export function toDeadLetter(
  message: IncomingMessage,
  group: string,
  error: { readonly type: string; readonly reason: string },
  atMs: number,
): OutgoingMessage {
  const headers: MessageHeaders = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (!PER_SEND.has(name) && !name.startsWith('x-dlq-')) headers[name] = value;
  }
  headers[DLQ_HEADERS.topic] = message.topic;
  headers[DLQ_HEADERS.group] = group;
  headers[DLQ_HEADERS.messageId] = message.messageId;
  headers[DLQ_HEADERS.deliveries] = String(message.deliveryCount);
  headers[DLQ_HEADERS.errorType] = error.type;
  headers[DLQ_HEADERS.reason] = error.reason;
  headers[DLQ_HEADERS.atMs] = String(atMs);
  return { ...originalParts(message), headers };
}

/** Reads a dead letter's record back; undefined for a message that is not one. */
export function readDeadLetter(message: IncomingMessage): DeadLetter | undefined {
  const h = message.headers;
  const topic = h[DLQ_HEADERS.topic];
  if (!topic) return undefined;
  return {
    topic,
    group: h[DLQ_HEADERS.group] ?? '',
    messageId: h[DLQ_HEADERS.messageId] ?? '',
    ...(message.key !== undefined ? { key: message.key } : {}),
    deliveries: Number(h[DLQ_HEADERS.deliveries] ?? 0),
    errorType: h[DLQ_HEADERS.errorType] ?? 'Error',
    reason: h[DLQ_HEADERS.reason] ?? '',
    atMs: Number(h[DLQ_HEADERS.atMs] ?? message.publishedAtMs),
    ...(message.extraFields ? { extraFields: message.extraFields } : {}),
  };
}

/**
 * The message to send back to its topic on replay: as it first came (entry fields included),
 * less the record. Its
 * trace context stays, so the replayed handling joins the order's own trace.
 */
export function toReplay(message: IncomingMessage): OutgoingMessage {
  const headers: MessageHeaders = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (!name.startsWith('x-dlq-') && name !== SENT_AT_HEADER) headers[name] = value;
  }
  return { ...originalParts(message), headers };
}
