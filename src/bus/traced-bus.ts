import { ROOT_CONTEXT, SpanKind, context, propagation, trace } from '@opentelemetry/api';
import type { Attributes, Context, HrTime, Link, Span, Tracer } from '@opentelemetry/api';
import {
  clockAnchor,
  clockNow,
  hrTimeDiffUs,
  inSpan,
  ATTR_DELIVERY_COUNT,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  ATTR_MESSAGING_KAFKA_MESSAGE_KEY,
  ATTR_MESSAGING_KAFKA_OFFSET,
  ATTR_MESSAGING_MESSAGE_BODY_SIZE,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_QUEUE_WAIT_US,
} from '../telemetry/index.js';
import { SENT_AT_HEADER } from './types.js';
import type { Bus, IncomingMessage, MessageHeaders, PublishReceipt } from './types.js';

export interface TracingOptions {
  readonly tracer: Tracer;
  /** Group name for consumer spans when a consume call does not say (it always does today). */
  readonly consumerGroup?: string;
  /**
   * Asked at each publish, inside its `send` span: false sends the message without trace
   * context or baggage (a service that breaks propagation). Default: always true.
   */
  readonly propagates?: (span: Span) => boolean;
  /**
   * child (default): a consumer's `process` span is a child of the producer's `send` span, one
   * trace per order. link: it starts a new trace whose root links to the `send` span.
   */
  readonly propagation?: PropagationMode;
}

export const PROPAGATION_MODES = ['child', 'link'] as const;
export type PropagationMode = (typeof PROPAGATION_MODES)[number];

/**
 * Messaging spans over any bus, after the kafkajs instrumentation: `send <topic>` (PRODUCER)
 * puts the active context and baggage into the message headers; `process <topic>` (CONSUMER)
 * is a child of the context those headers carry, so one order is one trace across services.
 * In link mode the `process` span is instead the root of a new trace with a link to the `send`
 * span (the OpenTelemetry messaging conventions' form for batches and long hops); baggage still
 * flows.
 *
 * Queue wait: the producer stamps the instant it hands the message to the bus into
 * `SENT_AT_HEADER` and its `send` span ends at that instant (when the send succeeds); the
 * consumer's `tracelab.queue.wait_us` is its span's start minus that stamp, both on the span
 * clock, so the attribute is exactly the gap a trace shows between the two spans.
 */
export function withTracing(bus: Bus, options: TracingOptions): Bus {
  const { tracer, propagates } = options;
  const mode = options.propagation ?? 'child';
  const system = bus.system;
  // Anchor the span clock now, not while the first message waits.
  clockAnchor();

  return {
    system,

    async publish(topic, message): Promise<PublishReceipt> {
      const attributes = {
        [ATTR_MESSAGING_SYSTEM]: system,
        [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
        [ATTR_MESSAGING_OPERATION_NAME]: 'send',
        [ATTR_MESSAGING_DESTINATION_NAME]: topic,
        [ATTR_MESSAGING_MESSAGE_BODY_SIZE]: Buffer.byteLength(message.value),
        ...(system === 'kafka' && message.key !== undefined
          ? { [ATTR_MESSAGING_KAFKA_MESSAGE_KEY]: message.key }
          : {}),
      };
      const options = { kind: SpanKind.PRODUCER, attributes };
      return inSpan(tracer, `send ${topic}`, options, async (span, endAt) => {
        const headers: MessageHeaders = { ...message.headers };
        if (propagates?.(span) ?? true) propagation.inject(context.active(), headers);
        const sentAt = clockNow();
        headers[SENT_AT_HEADER] = sentAtStamp(sentAt);
        const receipt = await bus.publish(topic, { ...message, headers });
        span.setAttributes(receiptAttributes(system, receipt));
        endAt(sentAt);
        return receipt;
      });
    },

    consume(topic, consumeOptions, handler) {
      const group = consumeOptions.group ?? options.consumerGroup;
      return bus.consume(topic, consumeOptions, async (message) => {
        const start = clockNow();
        const extracted = propagation.extract(ROOT_CONTEXT, message.headers);
        const { parent, links } = consumerParent(extracted, mode);
        const attributes = {
          [ATTR_MESSAGING_SYSTEM]: system,
          [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
          [ATTR_MESSAGING_OPERATION_NAME]: 'process',
          [ATTR_MESSAGING_DESTINATION_NAME]: topic,
          [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: group,
          [ATTR_MESSAGING_MESSAGE_BODY_SIZE]: Buffer.byteLength(message.value),
          [ATTR_QUEUE_WAIT_US]: queueWaitUs(start, message),
          [ATTR_DELIVERY_COUNT]: message.deliveryCount,
          ...incomingAttributes(system, message),
        };
        // The extracted baggage stays active: it is part of `parent`.
        const options = { kind: SpanKind.CONSUMER, attributes, startTime: start, links };
        await inSpan(tracer, `process ${topic}`, options, () => handler(message), parent);
      });
    },

    lag: (filter) => bus.lag(filter),

    ping: () => bus.ping(),
    close: () => bus.close(),
  };
}

/**
 * Where a `process` span hangs: in child mode under the extracted context; in link mode at the
 * root of a new trace (the extracted span dropped, its baggage kept), linked to the sender.
 */
function consumerParent(
  extracted: Context,
  mode: PropagationMode,
): { parent: Context; links: Link[] } {
  if (mode === 'child') return { parent: extracted, links: [] };
  const sender = trace.getSpanContext(extracted);
  const links = sender && trace.isSpanContextValid(sender) ? [{ context: sender }] : [];
  return { parent: trace.deleteSpan(extracted), links };
}

/**
 * The hand-off instant as the header carries it: microseconds since the epoch with three
 * decimals, so the wait counts from the very nanosecond the `send` span ends.
 */
export function sentAtStamp(t: HrTime): string {
  const ns = Math.round(t[1]);
  return `${t[0]}${String(Math.floor(ns / 1000)).padStart(6, '0')}.${String(ns % 1000).padStart(3, '0')}`;
}

/** A stamp back to [seconds, nanoseconds], split as text: its 19 digits exceed a double's. */
function parseSentAt(stamp: string | undefined): HrTime | undefined {
  const m = stamp === undefined ? null : /^(\d{7,})(?:\.(\d{1,3}))?$/.exec(stamp);
  if (!m) return undefined;
  const micros = m[1]!;
  const fraction = (m[2] ?? '').padEnd(3, '0');
  return [Number(micros.slice(0, -6)), Number(micros.slice(-6)) * 1000 + Number(fraction)];
}

/**
 * Microseconds from the producer's hand-off to `start`, never below 0 (another host's clock may
 * be behind). A message without the stamp (sent by an older lab, or by hand) counts from when
 * the bus took it, to the bus clock's millisecond.
 */
export function queueWaitUs(start: HrTime, message: IncomingMessage): number {
  const sent = parseSentAt(message.headers[SENT_AT_HEADER]);
  const sentAt: HrTime = sent ?? [
    Math.floor(message.publishedAtMs / 1000),
    (message.publishedAtMs % 1000) * 1e6,
  ];
  return Math.max(0, Math.round(hrTimeDiffUs(start, sentAt)));
}

function receiptAttributes(system: Bus['system'], receipt: PublishReceipt): Attributes {
  return {
    [ATTR_MESSAGING_MESSAGE_ID]: receipt.messageId,
    ...(receipt.partition !== undefined
      ? { [ATTR_MESSAGING_DESTINATION_PARTITION_ID]: String(receipt.partition) }
      : {}),
    ...(system === 'kafka' && receipt.offset !== undefined
      ? { [ATTR_MESSAGING_KAFKA_OFFSET]: Number(receipt.offset) }
      : {}),
  };
}

function incomingAttributes(system: Bus['system'], message: IncomingMessage): Attributes {
  return {
    ...receiptAttributes(system, message),
    ...(system === 'kafka' && message.key !== undefined
      ? { [ATTR_MESSAGING_KAFKA_MESSAGE_KEY]: message.key }
      : {}),
  };
}
