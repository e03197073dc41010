import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { runIoOperation } from '../../src/workload/operations/io.js';
import type { IoOperation } from '../../src/workload/types.js';
import { testRedis } from '../helpers/workload-env.js';

const IO_SIZES: Array<[IoOperation, number]> = [
  ['redis_basic', 9],
  ['file_and_redis', 150],
  ['intensive_io_operations', 250],
  ['extreme_io_operations', 120],
];

for (const [operation, items] of IO_SIZES) {
  test(`${operation} writes real files and Redis keys that expire, then removes its files`, async (t) => {
    const env = testRedis();
    const root = mkdtempSync(path.join(tmpdir(), 'tracelab-test-'));
    t.after(async () => {
      rmSync(root, { recursive: true, force: true });
      await env.cleanup();
    });
    const result = await runIoOperation(operation, items, {
      redis: env.redis,
      keyPrefix: env.prefix,
      ttlSeconds: 60,
      tmpRoot: root,
    });
    assert.equal(result.operation, operation);
    assert.ok(result.redisOps >= items, `${result.redisOps} Redis ops for ${items} items`);
    if (operation !== 'redis_basic') {
      assert.ok(result.fileBytes > items * 40, `${result.fileBytes} bytes written`);
      assert.equal(result.lines, operation === 'extreme_io_operations' ? items * 4 : items);
    }
    assert.deepEqual(readdirSync(root), [], 'the tracelab-* temp folder is gone');
    const keys = await env.keys();
    assert.ok(keys.length > 0);
    for (const key of keys) {
      assert.ok(key.startsWith(`${env.prefix}workload:`), key);
      const ttl = await env.redis.ttl(key);
      assert.ok(ttl > 0 && ttl <= 60, `${key} has TTL ${ttl}`);
    }
  });
}

test('keys are gone once their TTL passes', async (t) => {
  const env = testRedis();
  t.after(() => env.cleanup());
  await runIoOperation('file_and_redis', 20, {
    redis: env.redis,
    keyPrefix: env.prefix,
    ttlSeconds: 1,
  });
  assert.ok((await env.keys()).length > 0);
  await sleep(2100);
  assert.deepEqual(await env.keys(), []);
});

test('the temp folder is removed even when the operation throws', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'tracelab-test-'));
  // Nothing listens on a port just freed; no offline queue: every Redis command fails, after
  // the file work.
  const offline = new Redis({
    port: await freePort(),
    lazyConnect: true,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  offline.on('error', () => undefined);
  t.after(() => {
    offline.disconnect();
    rmSync(root, { recursive: true, force: true });
  });
  for (const operation of [
    'file_and_redis',
    'intensive_io_operations',
    'extreme_io_operations',
  ] as const) {
    await assert.rejects(
      runIoOperation(operation, 300, {
        redis: offline,
        keyPrefix: 'unused:',
        ttlSeconds: 60,
        tmpRoot: root,
      }),
      /Connection is closed|enableOfflineQueue|Stream isn't writeable/,
    );
    assert.deepEqual(readdirSync(root), [], `${operation} left its temp folder`);
  }
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
