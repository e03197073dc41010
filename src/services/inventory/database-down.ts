/** Node's errors of a connection that could not be made or was lost. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

/**
 * PostgreSQL's SQLSTATEs of a server that is away or going: class 08 (connection exception),
 * 57P01-57P03 (shut down by an administrator, crashed, cannot connect now).
 */
function serverGoing(sqlState: string): boolean {
  return sqlState.startsWith('08') || /^57P0[1-3]$/.test(sqlState);
}

/**
 * True when `err` says the database cannot be reached (as opposed to a query that failed on
 * a database that answers): the request was fine, so the answer is a 503 and the caller tries
 * again later. Reads the database module's coded error, node-postgres's errors and Node's own.
 */
export function isDatabaseDown(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    // No pooled connection in time is the database too busy to take the request: as
    // unavailable to the caller, who tries again later.
    if (code === 'DB_ERR_UNREACHABLE' || code === 'DB_ERR_POOL_TIMEOUT') return true;
    if (SOCKET_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && serverGoing(code)) return true;
  }
  // node-postgres says these in words only.
  if (
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
      err.message,
    )
  ) {
    return true;
  }
  const cause = (err as { cause?: unknown }).cause;
  return cause !== undefined && cause !== err && isDatabaseDown(cause);
}
