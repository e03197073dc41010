import { BUS_ERRORS, BusError } from './errors.js';
import type { MessageHeaders } from './types.js';

/** kafkajs header values as they arrive: Buffer, string, arrays of them, or undefined. */
export type KafkaHeaderValue = Buffer | string | (Buffer | string)[] | undefined;

/** Message headers → Kafka record headers. Undefined values are left out. */
export function toKafkaHeaders(headers: MessageHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined && value !== null) out[name] = String(value);
  }
  return out;
}

/**
 * Kafka record headers → message headers (UTF-8 strings). A header repeated in one record
 * keeps its last value, as a propagator reading `traceparent` expects one value.
 */
export function fromKafkaHeaders(
  headers: Record<string, KafkaHeaderValue> | undefined,
): MessageHeaders {
  const out: MessageHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last === undefined || last === null) continue;
    out[name] = Buffer.isBuffer(last) ? last.toString('utf8') : String(last);
  }
  return out;
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** Validates a broker list (`host:port`, several allowed), as read from KAFKA_BROKERS or a flag. */
export function parseKafkaBrokers(list: readonly string[] | string | undefined): string[] {
  const items = (typeof list === 'string' ? list.split(',') : [...(list ?? [])])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) {
    throw new BusError(
      BUS_ERRORS.BUS_ERR_BAD_CONFIG,
      'no Kafka brokers given: set KAFKA_BROKERS or --kafka-brokers to host:port[,host:port...]',
    );
  }
  for (const item of items) {
    const m = HOST_PORT.exec(item);
    const port = m ? Number(m[2]) : NaN;
    if (!m || port < 1 || port > 65535) {
      throw new BusError(
        BUS_ERRORS.BUS_ERR_BAD_CONFIG,
        `bad Kafka broker "${item}": expected host:port with a port from 1 to 65535, e.g. 127.0.0.1:9092`,
      );
    }
  }
  return items;
}

/** Kafka topic names allow letters, digits, `.`, `_` and `-`, up to 249 characters. */
export function checkTopicName(topic: string): string {
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic)) {
    throw new BusError(
      BUS_ERRORS.BUS_ERR_BAD_CONFIG,
      `"${topic}" is not a valid Kafka topic name (letters, digits, ".", "_", "-")`,
    );
  }
  return topic;
}
