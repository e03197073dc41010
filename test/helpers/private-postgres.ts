import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPostgresBinaries } from '../../src/supervisor/index.js';
import { waitFor } from './wait.js';

export interface PrivatePostgres {
  readonly url: string;
  /** Stops the server (fast shutdown: running transactions rolled back, clients cut). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  remove(): Promise<void>;
}

function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error('no postgres user to run it as');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Debian's binaries are what a private server is made from; none here: the test skips. */
export const noPostgresBinaries = findPostgresBinaries() === undefined;

/**
 * A PostgreSQL server of the test's own (initdb into a temporary directory, on `port`,
 * 127.0.0.1 only, trust auth), which the test can stop and start again: a database outage.
 */
export async function privatePostgres(port: number): Promise<PrivatePostgres> {
  const bin = findPostgresBinaries()!;
  const dir = mkdtempSync(join(tmpdir(), 'tracelab-test-pg-'));
  const data = join(dir, 'data');
  // PostgreSQL will not run as root: as the postgres user then, as Debian runs it.
  const user = process.getuid?.() === 0 ? postgresUser() : undefined;
  if (user) chownSync(dir, user.uid, user.gid);
  const init = spawnSync(
    join(bin.bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'],
    { stdio: 'ignore', ...(user ?? {}) },
  );
  if (init.status !== 0) throw new Error(`initdb failed (${init.status})`);
  let child: ChildProcess | undefined;
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const start = async () => {
    child = spawn(
      join(bin.bin, 'postgres'),
      ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-c', 'fsync=off'],
      { stdio: 'ignore', ...(user ?? {}) },
    );
    await waitFor(
      `postgres on ${port}`,
      () =>
        spawnSync(join(bin.bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)], {
          stdio: 'ignore',
        }).status === 0
          ? true
          : undefined,
      20_000,
      100,
    );
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGINT');
    });
  };
  await start();
  return {
    url,
    stop,
    start,
    async remove() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
