import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { waitFor } from './wait.js';

/** A reason to skip, when there is no redis-server to start. */
export const noRedisServer =
  spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0
    ? 'redis-server is not installed'
    : false;

/**
 * A private redis-server on `port`. With `dir`, append-only persistence: stopped, it comes
 * back with its data; without, it keeps nothing.
 */
export function startRedisServer(port: number, dir?: string): Promise<ChildProcess> {
  const persistence =
    dir === undefined
      ? ['--appendonly', 'no']
      : ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always'];
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  return waitFor(`redis-server on port ${port}`, async () => {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    const r = new Redis(url, { lazyConnect: true, retryStrategy: () => null });
    r.on('error', () => undefined);
    try {
      await r.connect();
      return (await r.ping()) === 'PONG' ? child : undefined;
    } finally {
      r.disconnect();
    }
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
}

export function stopRedisServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    // SIGTERM: Redis writes its append-only file (if any) and exits, as a restart does.
    child.kill('SIGTERM');
  });
}
