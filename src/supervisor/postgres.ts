import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { connectDatabase, redactDatabaseUrl } from '../database/index.js';
import type { DatabaseHandle } from './database-handle.js';
import { SupervisorError } from './errors.js';
import { freePort } from './free-port.js';
import { spawnTethered } from './tether.js';

export type DatabaseMode = 'auto' | 'postgres' | 'pglite';
export const DATABASE_MODES: readonly DatabaseMode[] = ['auto', 'postgres', 'pglite'];

export interface EnsureDatabaseOptions {
  /** A server to use (--database-url, DATABASE_URL): it must answer. */
  readonly url?: string;
  readonly mode: DatabaseMode;
}

/**
 * The PostgreSQL the lab uses: the one named (must answer, else a quick clear error); else,
 * under `auto`, a private `postgres` from the installed binaries when there are any, or PGlite
 * in this process; `postgres` insists on the binaries, `pglite` takes PGlite.
 */
export async function ensureDatabase(o: EnsureDatabaseOptions): Promise<DatabaseHandle> {
  if (o.url !== undefined) return namedServer(o.url);
  if (o.mode === 'pglite') return startPglite();
  const bin = findPostgresBinaries();
  if (!bin) {
    if (o.mode === 'postgres') {
      throw new SupervisorError(
        'SUP_ERR_NO_POSTGRES',
        "--database postgres, but PostgreSQL's programs (initdb, postgres) are not installed.\n" +
          '  Install them (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql),\n' +
          '  point --database-url/DATABASE_URL at a server, or use --database pglite',
      );
    }
    return startPglite();
  }
  return startPrivatePostgres(bin);
}

async function startPglite(): Promise<DatabaseHandle> {
  // Loaded only when used: PGlite is tens of MB of WebAssembly.
  return (await import('./pglite.js')).startPglite();
}

async function namedServer(url: string): Promise<DatabaseHandle> {
  let shown = url;
  try {
    shown = redactDatabaseUrl(url);
    const db = await connectDatabase({ url, poolSize: 1, connectTimeoutMs: 2000 });
    await db.close();
  } catch (err) {
    throw new SupervisorError(
      'SUP_ERR_DATABASE_UNREACHABLE',
      `cannot use PostgreSQL at ${shown}: ${(err as Error).message}\n` +
        '  Start that server, fix --database-url/DATABASE_URL, or leave it unset so tracelab up\n' +
        '  starts a private PostgreSQL (or PGlite, --database pglite)',
    );
  }
  return { url, kind: 'server', describe: `PostgreSQL at ${shown}`, stop: () => Promise.resolve() };
}

export interface PostgresBinaries {
  /** The directory holding initdb and postgres. */
  readonly bin: string;
  /** Their major version, as the directory or `postgres --version` says. */
  readonly version: string;
}

/** Debian's /usr/lib/postgresql/<major>/bin, the newest first, else initdb and postgres on PATH. */
export function findPostgresBinaries(
  env: NodeJS.ProcessEnv = process.env,
): PostgresBinaries | undefined {
  const has = (dir: string) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'));
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const majors = readdirSync(debian)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of majors) {
      const bin = join(debian, v, 'bin');
      if (has(bin)) return { bin, version: v };
    }
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && has(dir)) return { bin: dir, version: '' };
  }
  return undefined;
}

/** initdb and postgres refuse to run as root: as root, they run as the `postgres` user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    // No passwd file: reported below as no postgres user.
  }
  const line = passwd.split('\n').find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new SupervisorError(
      'SUP_ERR_POSTGRES_START',
      'PostgreSQL will not run as root, and there is no postgres user to run it as.\n' +
        '  Run tracelab up as another user, point --database-url at a server, or use --database pglite',
    );
  }
  return { uid: Number(uid), gid: Number(gid) };
}

const START_TIMEOUT_MS = 30_000;
const INITDB_TIMEOUT_MS = 120_000;

/**
 * A private server: initdb into a temporary directory, `postgres` on a free port of
 * 127.0.0.1 (its unix socket in that directory), tethered so it stops when this process goes,
 * even by SIGKILL; the directory is removed once it has stopped. Durability is off: its data
 * lives as long as the lab.
 */
export async function startPrivatePostgres(bin: PostgresBinaries): Promise<DatabaseHandle> {
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'tracelab-pg-'));
  const data = join(dir, 'data');
  try {
    if (user) chownSync(dir, user.uid, user.gid);
    await new Promise<void>((resolve, reject) => {
      execFile(
        join(bin.bin, 'initdb'),
        ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'],
        { cwd: dir, timeout: INITDB_TIMEOUT_MS, ...(user ?? {}) },
        (err, _stdout, stderr) =>
          err ? reject(new Error(`initdb failed: ${stderr.trim() || err.message}`)) : resolve(),
      );
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new SupervisorError(
      'SUP_ERR_POSTGRES_START',
      `cannot make a private PostgreSQL in ${dir}: ${(err as Error).message}`,
    );
  }
  const port = await freePort();
  const child = spawnTethered(
    join(bin.bin, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${dir}`,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
    {
      stdout: 'ignore',
      stderr: 'pipe',
      // Detached: a terminal's Ctrl-C reaches up, which stops the services before the server.
      detached: true,
      // A fast shutdown: open sessions are ended, not waited for.
      stopSignal: 'SIGINT',
      removeAfter: dir,
      ...(user ?? {}),
    },
  );
  // The last lines it logged, to say why when it does not start.
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-2000);
  });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const stop = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGINT');
    }).then(() => rmSync(dir, { recursive: true, force: true }));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (child.exitCode === null && Date.now() < deadline) {
    try {
      const db = await connectDatabase({ url, poolSize: 1, connectTimeoutMs: 1000 });
      await db.close();
      const version = bin.version ? ` ${bin.version}` : '';
      return {
        url,
        kind: 'private',
        describe: `a private PostgreSQL${version} on 127.0.0.1:${port} (data in ${dir}, gone with up)`,
        stop,
      };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await stop();
  const why = log.trim().split('\n').slice(-3).join('\n  ');
  throw new SupervisorError(
    'SUP_ERR_POSTGRES_START',
    `started a private PostgreSQL on port ${port}, but it did not answer${why ? `:\n  ${why}` : ''}`,
  );
}
