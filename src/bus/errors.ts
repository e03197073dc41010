import { TracelabError } from '../errors/index.js';

/**
 * The bus's errors, in one catalogue. They are conditions a user can fix (a broker that is not
 * running, a bad broker list); the CLI entry decides how they are shown.
 */
export const BUS_ERRORS = {
  BUS_ERR_UNREACHABLE: 'BUS_ERR_UNREACHABLE',
  BUS_ERR_BAD_CONFIG: 'BUS_ERR_BAD_CONFIG',
  BUS_ERR_UNSUPPORTED: 'BUS_ERR_UNSUPPORTED',
  /** The broker cannot list consumer groups: name them. */
  BUS_ERR_GROUPS_UNLISTED: 'BUS_ERR_GROUPS_UNLISTED',
  BUS_ERR_TEST_BROKER: 'BUS_ERR_TEST_BROKER',
} as const;
export type BusErrorCode = (typeof BUS_ERRORS)[keyof typeof BUS_ERRORS];

export class BusError extends TracelabError {
  declare readonly code: BusErrorCode;
  constructor(code: BusErrorCode, message: string) {
    super(code, message);
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
    BUS_ERRORS.BUS_ERR_UNREACHABLE,
    `cannot reach Redis at ${redactUrl(url)} (${connectFailureReason(err)}): start redis-server, set REDIS_URL, or use Docker (docker compose up)`,
  );
}

export function kafkaUnreachable(brokers: readonly string[], err: unknown): BusError {
  return new BusError(
    BUS_ERRORS.BUS_ERR_UNREACHABLE,
    `cannot reach Kafka at ${brokers.join(',')} (${connectFailureReason(err)}): start a broker, set KAFKA_BROKERS, or use Docker (docker compose up)`,
  );
}

/** A dependency that was up and no longer answers: what a health check reports. */
export function nowUnreachable(system: 'Redis' | 'Kafka', err: unknown): BusError {
  return new BusError(
    BUS_ERRORS.BUS_ERR_UNREACHABLE,
    `${system} is unreachable (${connectFailureReason(err)})`,
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

/** ioredis's words for a command that could not reach Redis (down, restarting, or cut off). */
const REDIS_DOWN =
  /Stream isn't writeable|Connection is closed|Reached the max retries per request|Command timed out|^LOADING /;
const SOCKET_DOWN = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/**
 * Which dependency a failed command says is unreachable (`Redis`, `Kafka`), or undefined for
 * any other failure. An HTTP app answers the first with 503, not 500: nothing to fix in the
 * request, try again later.
 */
export function unreachableDependency(err: unknown): 'Redis' | 'Kafka' | undefined {
  for (const e of errorChain(err)) {
    if (e.name.startsWith('KafkaJS')) return 'Kafka';
    if (e instanceof BusError && e.code === BUS_ERRORS.BUS_ERR_UNREACHABLE) {
      return /Kafka/.test(e.message) ? 'Kafka' : 'Redis';
    }
    if (e.name === 'MaxRetriesPerRequestError' || REDIS_DOWN.test(e.message)) return 'Redis';
    if (SOCKET_DOWN.has((e as NodeJS.ErrnoException).code ?? '')) return 'Redis';
  }
  return undefined;
}

/** Refused before it left this process: a Redis connection that is not writeable now. */
const NOT_SENT = /Stream isn't writeable/;

/**
 * Whether a command that failed on an unreachable dependency may have run all the same: false
 * only when it never left this process (a connection down before it, a connection refused);
 * one in flight when the connection dropped may have run, its reply lost.
 */
export function mayHaveRun(err: unknown): boolean {
  return !errorChain(err).some(
    (e) => NOT_SENT.test(e.message) || (e as NodeJS.ErrnoException).code === 'ECONNREFUSED',
  );
}

/** The URL without its password, fit for a message. */
function redactUrl(url: string): string {
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
