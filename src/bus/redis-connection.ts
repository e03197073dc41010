import { Redis } from 'ioredis';
import { redisUnreachable } from './errors.js';

export interface RedisConnectOptions {
  /** Attempts after the first before giving up at start (fail fast); unlimited once connected. */
  readonly connectRetries?: number;
  readonly connectTimeoutMs?: number;
}

/**
 * Opens a connection that fails fast when Redis is not there at start (a clear BusError),
 * and reconnects on its own once it has been up.
 */
export async function connectRedis(url: string, opts: RedisConnectOptions = {}): Promise<Redis> {
  const retries = opts.connectRetries ?? 2;
  let connected = false;
  let redis: Redis;
  try {
    redis = new Redis(url, {
      lazyConnect: true,
      connectTimeout: opts.connectTimeoutMs ?? 2000,
      retryStrategy: (times) =>
        connected ? Math.min(times * 200, 2000) : times > retries ? null : 100 * times,
    });
  } catch (err) {
    throw redisUnreachable(url, err);
  }
  // Reconnection is ioredis's job; a command that fails meanwhile rejects to its caller.
  let lastError: unknown;
  redis.on('error', (err) => (lastError = err));
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    // `connect()` rejects with "Connection is closed"; the socket error says why.
    throw redisUnreachable(url, lastError ?? err);
  }
  connected = true;
  return redis;
}

/** A second connection to the same server, for commands that block (XREADGROUP BLOCK). */
export async function duplicateConnection(redis: Redis, url: string): Promise<Redis> {
  const dup = redis.duplicate();
  dup.on('error', () => {});
  if (dup.status === 'wait') {
    try {
      await dup.connect();
    } catch (err) {
      dup.disconnect();
      throw redisUnreachable(url, err);
    }
  }
  return dup;
}
