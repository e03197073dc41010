/** What runs a statement: the pool itself, or the one client of a transaction. */
export interface Queryable {
  query<R>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
}

export interface DatabaseOptions {
  readonly url: string;
  /** Connections in the pool (default 10). */
  readonly poolSize?: number;
  /** `application_name`, shown in pg_stat_activity: which service holds a connection. */
  readonly applicationName?: string;
  /** How long a new connection, or a wait for a pooled one, may take (default 2000 ms). */
  readonly connectTimeoutMs?: number;
  /** The server cancels a statement that runs longer (off when not given). */
  readonly statementTimeoutMs?: number;
}

export interface Database extends Queryable {
  /** The URL it was opened with, the password shown as `***`. */
  readonly url: string;
  /** Runs `work` between BEGIN and COMMIT on one pooled client; ROLLBACK when it throws. */
  transaction<T>(work: (q: Queryable) => Promise<T>): Promise<T>;
  /** A pool of `n` connections from now on (running statements finish on the old one). */
  resizePool(n: number): Promise<void>;
  /** `SELECT 1` within about 800 ms, or a DatabaseError DB_ERR_UNREACHABLE. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
