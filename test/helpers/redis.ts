import { Redis } from 'ioredis';
import { DEFAULT_REDIS_URL } from '../../src/config/index.js';
import { deleteKeysWithPrefix } from '../../src/store/index.js';
export { keysWithPrefix } from '../../src/store/index.js';

export const REDIS_URL = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;

/** Removes every key under a prefix: what a test leaves behind. */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    await deleteKeysWithPrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

/**
 * How many entries were ever added to a stream (0 when it does not exist). Unlike XLEN it
 * never falls: the consumers trim what every group has acknowledged.
 */
export async function entriesAdded(redis: Redis, stream: string): Promise<number> {
  if ((await redis.exists(stream)) === 0) return 0;
  const info = (await redis.call('XINFO', 'STREAM', stream)) as unknown[];
  const at = info.indexOf('entries-added');
  if (at < 0) throw new Error(`XINFO STREAM ${stream} has no entries-added (Redis 7 or later)`);
  return Number(info[at + 1]);
}
