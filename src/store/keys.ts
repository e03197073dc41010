import type { Redis } from 'ioredis';

/** Every key under a prefix (SCAN, all pages): what one run or one test owns. */
export async function keysWithPrefix(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  return found;
}

/** Removes every key under a prefix. */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<void> {
  const keys = await keysWithPrefix(redis, prefix);
  if (keys.length > 0) await redis.del(...keys);
}
