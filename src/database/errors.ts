import { TracelabError } from '../errors/index.js';

/**
 * The database's errors, in one catalogue. The edges decide what each means outside: an HTTP
 * app answers 503 to an unreachable server or a pool that gave no connection in time, 400 to
 * bad input.
 */
export const DATABASE_ERRORS = {
  /** The server does not answer (refused, timed out, gone mid-query, shutting down). */
  DB_ERR_UNREACHABLE: 'DB_ERR_UNREACHABLE',
  /** Every pooled connection stayed busy past the connect timeout. */
  DB_ERR_POOL_TIMEOUT: 'DB_ERR_POOL_TIMEOUT',
  /** A statement ran past the statement timeout and was cancelled by the server. */
  DB_ERR_STATEMENT_TIMEOUT: 'DB_ERR_STATEMENT_TIMEOUT',
  DB_ERR_BAD_URL: 'DB_ERR_BAD_URL',
  DB_ERR_BAD_INPUT: 'DB_ERR_BAD_INPUT',
  /** Any other failure the server reported (its SQLSTATE is in the message). */
  DB_ERR_QUERY: 'DB_ERR_QUERY',
  DB_ERR_CLOSED: 'DB_ERR_CLOSED',
} as const;
export type DatabaseErrorCode = (typeof DATABASE_ERRORS)[keyof typeof DATABASE_ERRORS];

export class DatabaseError extends TracelabError {
  declare readonly code: DatabaseErrorCode;
  /** The server's SQLSTATE when it reported the failure (`40P01`, `23505`, ...). */
  readonly sqlState: string | undefined;
  constructor(
    code: DatabaseErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown; sqlState?: string } = {},
  ) {
    super(code, message, options);
    this.sqlState = options.sqlState;
  }
}

const UNREACHABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOENT', // a unix socket that is not there
]);

/**
 * SQLSTATE classes and codes that mean the server cannot serve us: connection exceptions,
 * shutting down or starting up, and a login it refuses (bad password, no such database).
 */
function unreachableSqlState(state: string): boolean {
  return (
    state.startsWith('08') ||
    state.startsWith('28') ||
    state === '3D000' ||
    state === '57P01' ||
    state === '57P02' ||
    state === '57P03'
  );
}

function chain(err: unknown): Error[] {
  const out: Error[] = [];
  let e: unknown = err;
  while (e instanceof Error && out.length < 5) {
    out.push(e);
    e = (e as { cause?: unknown }).cause;
  }
  if (err instanceof AggregateError) out.push(...err.errors.filter((x) => x instanceof Error));
  return out;
}

function shortReason(errors: Error[]): string {
  const codes = errors.map((e) => (e as NodeJS.ErrnoException).code);
  if (codes.includes('ECONNREFUSED')) return 'connection refused';
  if (codes.includes('ENOTFOUND') || codes.includes('EAI_AGAIN')) return 'host not found';
  if (errors.some((e) => /timeout|timed out/i.test(e.message))) return 'timed out';
  return errors[0]?.message ?? 'unknown failure';
}

/**
 * Maps whatever `pg` threw to a DatabaseError. `poolFull` tells a wait for a busy pool apart
 * from a server that did not answer: pg-pool says "timeout exceeded when trying to connect"
 * for both.
 */
export function toDatabaseError(err: unknown, where: string, poolFull = false): DatabaseError {
  if (err instanceof DatabaseError) return err;
  const errors = chain(err);
  const first = errors[0];
  const rawCode: unknown = (first as { code?: unknown } | undefined)?.code;
  const sqlState = typeof rawCode === 'string' ? rawCode : '';
  const isSqlState = /^[0-9A-Z]{5}$/.test(sqlState) && !sqlState.startsWith('E');
  if (isSqlState && sqlState === '57014') {
    return new DatabaseError(
      DATABASE_ERRORS.DB_ERR_STATEMENT_TIMEOUT,
      `a statement on ${where} was cancelled: ${first?.message ?? ''}`,
      { cause: err, sqlState },
    );
  }
  if (isSqlState && !unreachableSqlState(sqlState)) {
    return new DatabaseError(
      DATABASE_ERRORS.DB_ERR_QUERY,
      `${where} refused a statement (${sqlState}): ${first?.message ?? ''}`,
      { cause: err, sqlState },
    );
  }
  const timedOut = errors.some((e) => /timeout exceeded when trying to connect/i.test(e.message));
  if (timedOut && poolFull) {
    return new DatabaseError(
      DATABASE_ERRORS.DB_ERR_POOL_TIMEOUT,
      `no pooled connection to ${where} came free in time`,
      { cause: err, hint: 'a bigger pool (inventory.db_pool) or fewer concurrent requests' },
    );
  }
  const socketCode = errors.some((e) =>
    UNREACHABLE_SOCKET_CODES.has(String((e as NodeJS.ErrnoException).code)),
  );
  if (
    socketCode ||
    timedOut ||
    (isSqlState && unreachableSqlState(sqlState)) ||
    errors.some((e) => /Connection terminated|connection is closed|not queryable/i.test(e.message))
  ) {
    return new DatabaseError(
      DATABASE_ERRORS.DB_ERR_UNREACHABLE,
      `cannot reach PostgreSQL at ${where} (${shortReason(errors)})`,
      {
        cause: err,
        hint: 'start PostgreSQL, set DATABASE_URL (--database-url), or let `tracelab up` start one (--database auto)',
        ...(isSqlState ? { sqlState } : {}),
      },
    );
  }
  return new DatabaseError(
    DATABASE_ERRORS.DB_ERR_QUERY,
    `${where}: ${first?.message ?? String(err)}`,
    { cause: err },
  );
}
