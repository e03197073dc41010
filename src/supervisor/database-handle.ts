/** A PostgreSQL the lab uses, however it came: what ensureDatabase and its sources give. */
export interface DatabaseHandle {
  /** What the services connect to (a private server's or PGlite's has no password). */
  readonly url: string;
  /** The server named, a private `postgres` started here, or PGlite in this process. */
  readonly kind: 'server' | 'private' | 'pglite';
  /** One line for the banner: which database, where. */
  readonly describe: string;
  stop(): Promise<void>;
}
