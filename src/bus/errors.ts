import { CliError } from '../cli/errors.js';

/**
 * The bus's errors, in one catalogue. They are user-fixable conditions (a broker that is not
 * running, a bad broker list), so they print as a plain message without a stack trace.
 */
export const BUS_ERRORS = {
  BUS_UNREACHABLE: 'BUS_UNREACHABLE',
  BUS_BAD_CONFIG: 'BUS_BAD_CONFIG',
  BUS_UNSUPPORTED: 'BUS_UNSUPPORTED',
  BUS_TEST_BROKER: 'BUS_TEST_BROKER',
} as const;
export type BusErrorCode = (typeof BUS_ERRORS)[keyof typeof BUS_ERRORS];

export class BusError extends CliError {
  constructor(
    readonly code: BusErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BusError';
  }
}

/** A short reason for a failed connection: `connection refused`, `timed out`, ... */
export function connectFailureReason(err: unknown): string {
  const codes = errorChain(err).map((e) => (e as NodeJS.ErrnoException).code);
  if (codes.includes('ECONNREFUSED')) return 'connection refused';
  if (codes.includes('ENOTFOUND') || codes.includes('EAI_AGAIN')) return 'host not found';
  if (codes.includes('ETIMEDOUT')) return 'timed out';
  if (codes.includes('ECONNRESET')) return 'connection reset';
  const chain = errorChain(err);
  if (chain.some((e) => /timed? ?out/i.test(e.message))) return 'timed out';
  if (chain.some((e) => /ECONNREFUSED|connection refused/i.test(e.message))) {
    return 'connection refused';
  }
  const first = chain[0];
  return first ? first.message : String(err);
}

export function redisUnreachable(url: string, err: unknown): BusError {
  return new BusError(
    BUS_ERRORS.BUS_UNREACHABLE,
    `cannot reach Redis at ${redactUrl(url)} (${connectFailureReason(err)}): start redis-server, set REDIS_URL, or use Docker (docker compose up)`,
  );
}

export function kafkaUnreachable(brokers: readonly string[], err: unknown): BusError {
  return new BusError(
    BUS_ERRORS.BUS_UNREACHABLE,
    `cannot reach Kafka at ${brokers.join(',')} (${connectFailureReason(err)}): start a broker, set KAFKA_BROKERS, or use Docker (docker compose up)`,
  );
}

/**
 * The in-memory test broker answers metadata with a controller id that is not one of its
 * brokers, so kafkajs cannot find a controller to send CreateTopics (or InitProducerId) to.
 * Only that failure is recognised; any other CreateTopics error is real.
 */
export function isMissingControllerError(err: unknown): boolean {
  const e = err as { name?: string; message?: string } | undefined;
  return (
    e?.name === 'KafkaJSBrokerNotFound' &&
    /^Broker -?\d+ not found in the cached metadata$/.test(e.message ?? '')
  );
}

/** The URL without its password, fit for a message. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/:]*):[^@/]*@/, '//$1:***@');
}

function errorChain(err: unknown): Error[] {
  const out: Error[] = [];
  let cur: unknown = err;
  for (let i = 0; i < 8 && cur instanceof Error; i++) {
    out.push(cur);
    for (const inner of (cur as { errors?: unknown[] }).errors ?? []) {
      if (inner instanceof Error) out.push(inner);
    }
    const next: unknown =
      (cur as { originalError?: unknown }).originalError ?? (cur as { cause?: unknown }).cause;
    cur = next;
  }
  return out;
}
