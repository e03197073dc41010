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
