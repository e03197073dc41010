import type { Redis } from 'ioredis';
import { redisUnreachable } from './errors.js';

export interface RedisConnectOptions {
  /** Attempts after the first before giving up at start (fail fast); unlimited once connected. */
  readonly connectRetries?: number;
  readonly connectTimeoutMs?: number;
  /**
   * Commands issued in the same tick go out in one write (ioredis auto-pipelining): a stage's
   * XADD and HSET cost one system call, not two. Never for a connection that blocks.
   */
  readonly autoPipelining?: boolean;
}

/**
 * Opens a connection that fails fast when Redis is not there at start (a clear BusError),
 * and reconnects on its own once it has been up. While it is down, a command fails at once
 * instead of waiting in a queue for a reconnection (ioredis's default holds it for about 20
 * attempts, 10 to 30 s): an API request gets a quick 503, a consumer backs off and tries
 * again, a stop is not held up. A command in flight when the connection drops fails too,
 * never resent later behind its caller's back.
 */
export async function connectRedis(url: string, opts: RedisConnectOptions = {}): Promise<Redis> {
  // Loaded on the first connection: importing the bus's face must not load ioredis.
  const { Redis: RedisClient } = await import('ioredis');
  const retries = opts.connectRetries ?? 2;
  let connected = false;
  let redis: Redis;
  try {
    redis = new RedisClient(url, {
      lazyConnect: true,
      connectTimeout: opts.connectTimeoutMs ?? 2000,
      enableAutoPipelining: opts.autoPipelining ?? false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
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
  // A blocked XREADGROUP must not hold back commands auto-pipelined behind it.
  const dup = redis.duplicate({ enableAutoPipelining: false });
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

/** Why a connection cannot take a command now, or undefined when it is ready. */
export function connectionDown(redis: Redis): string | undefined {
  return redis.status === 'ready' ? undefined : `connection ${redis.status}`;
}
