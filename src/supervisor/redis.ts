import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { SupervisorError } from './errors.js';
import { spawnTethered } from './tether.js';

import { freePort } from './free-port.js';

// Kept here too: tests take it from this module.
export { freePort };

export interface RedisHandle {
  readonly url: string;
  /** True when tracelab started it (and stops it, keeping nothing). */
  readonly private: boolean;
  stop(): Promise<void>;
}

async function redisAnswers(url: string): Promise<string | undefined> {
  const r = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1500,
    retryStrategy: () => null,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    await r.ping();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    r.disconnect();
  }
}

/**
 * The Redis to use: the one named (must answer), else the default one if it answers, else a
 * private `redis-server` on a free port, else a message that says how to get one.
 */
export async function ensureRedis(url: string, named: boolean): Promise<RedisHandle> {
  const problem = await redisAnswers(url);
  if (!problem) return { url, private: false, stop: () => Promise.resolve() };
  if (named) {
    throw new SupervisorError(
      'SUP_ERR_REDIS_UNREACHABLE',
      `cannot reach Redis at ${url} (${problem}): start it, fix REDIS_URL/--redis-url, or run the full stack with Docker (docker compose up --build -d)`,
    );
  }
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new SupervisorError(
      'SUP_ERR_NO_REDIS',
      `no Redis answers at ${url} and redis-server is not installed.\n` +
        `  Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis),\n` +
        `  point REDIS_URL at one, or run the full stack with Docker: docker compose up --build -d`,
    );
  }
  const port = await freePort();
  // Tethered: it goes when this process goes, even by SIGKILL. Detached: it outlives a
  // terminal's Ctrl-C until the services have finished with it.
  const child = spawnTethered(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdout: 'ignore', stderr: 'ignore', detached: true },
  );
  const privateUrl = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50 && child.exitCode === null; i++) {
    if (!(await redisAnswers(privateUrl))) {
      return {
        url: privateUrl,
        private: true,
        stop: () =>
          new Promise((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // SIGTERM to the watchdog, which escalates to SIGKILL: killing it outright would leave
  // redis-server behind.
  child.kill('SIGTERM');
  throw new SupervisorError(
    'SUP_ERR_REDIS_START',
    `started redis-server on port ${port}, but it did not answer`,
  );
}
