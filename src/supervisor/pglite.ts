import type { DatabaseHandle } from './database-handle.js';
import { SupervisorError } from './errors.js';

/**
 * Connections PGlite's socket server takes. PGlite itself is one backend: statements from all
 * of them run one at a time, and a transaction, once begun, has it to itself until it ends.
 */
const MAX_CONNECTIONS = 100;

/**
 * PGlite (PostgreSQL compiled to WebAssembly) in this process, in memory, served over a socket
 * on a free port of 127.0.0.1, so the services use the same `pg` client (and its spans) as with
 * a real server. Both packages are loaded here, only when this path is taken.
 */
export async function startPglite(): Promise<DatabaseHandle> {
  try {
    const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite-socket'),
    ]);
    const db = await PGlite.create({ relaxedDurability: true });
    const server = new PGLiteSocketServer({
      db,
      host: '127.0.0.1',
      port: 0,
      maxConnections: MAX_CONNECTIONS,
    });
    await server.start();
    const where = server.getServerConn();
    return {
      url: `postgres://postgres@${where}/postgres`,
      kind: 'pglite',
      describe: `PGlite (PostgreSQL in WebAssembly, in this process) on ${where}: one statement at a time`,
      async stop() {
        await server.stop();
        await db.close();
      },
    };
  } catch (err) {
    throw new SupervisorError(
      'SUP_ERR_PGLITE_START',
      `cannot start PGlite: ${(err as Error).message}`,
    );
  }
}
