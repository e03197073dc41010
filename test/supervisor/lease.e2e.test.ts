import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { TracelabError } from '../../src/errors/index.js';
import { freePort } from '../../src/supervisor/redis.js';
import { leaseKey, takeLease } from '../../src/supervisor/lease.js';
import type { LeaseUrls } from '../../src/supervisor/lease.js';
import { deleteKeys, REDIS_URL } from '../helpers/redis.js';
import { noRedisServer, startRedisServer, stopRedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const URLS: LeaseUrls = {
  api: 'http://127.0.0.1:18080',
  query: 'http://127.0.0.1:26686',
  admin: 'http://127.0.0.1:14000',
};
const LEASE_JS = join(__dirname, '..', '..', 'src', 'supervisor', 'lease.js');

describe('the lease on a key prefix, on a real Redis', () => {
  const prefixes: string[] = [];
  const redis = new Redis(REDIS_URL);
  const fresh = () => {
    const p = `tltest-lease-${randomUUID().slice(0, 8)}:`;
    prefixes.push(p);
    return p;
  };
  after(async () => {
    redis.disconnect();
    await Promise.all(prefixes.map((p) => deleteKeys(p)));
  });

  test('taken: the key holds the run id, pid, host and URLs, with the ttl; released: gone', async () => {
    const keyPrefix = fresh();
    const lease = await takeLease({ redisUrl: REDIS_URL, keyPrefix, urls: URLS, log: () => {} });
    assert.match(lease.runId, /^[0-9a-f]{8}$/);
    const held = JSON.parse((await redis.get(`${keyPrefix}lease`))!) as Record<string, unknown>;
    assert.deepEqual(held, {
      runId: lease.runId,
      pid: process.pid,
      host: held.host,
      urls: URLS,
    });
    const pttl = await redis.pttl(`${keyPrefix}lease`);
    assert.ok(pttl > 10_000 && pttl <= 15_000, `ttl ${pttl} ms`);
    await lease.release();
    assert.equal(await redis.exists(`${keyPrefix}lease`), 0);
  });

  test('a second take on the same prefix fails at once, naming the holder and its URLs, and changes nothing', async () => {
    const keyPrefix = fresh();
    const first = await takeLease({ redisUrl: REDIS_URL, keyPrefix, urls: URLS, log: () => {} });
    try {
      const before = await redis.get(leaseKey(keyPrefix));
      const started = Date.now();
      const err = await takeLease({
        redisUrl: REDIS_URL,
        keyPrefix,
        urls: { api: 'http://x:1', query: 'http://x:2', admin: 'http://x:3' },
        log: () => {},
      }).then(
        () => assert.fail('the second take succeeded'),
        (e: unknown) => e,
      );
      assert.ok(Date.now() - started < 1000, `${Date.now() - started} ms`);
      assert.ok(err instanceof TracelabError);
      assert.equal(err.code, 'SUP_ERR_PREFIX_HELD');
      assert.match(
        err.message,
        new RegExp(
          `^another tracelab up \\(run ${first.runId}, pid ${process.pid} on \\S+\\) holds key prefix "${keyPrefix}" in redis://127\\.0\\.0\\.1:\\d+: its API at http://127\\.0\\.0\\.1:18080, traces at http://127\\.0\\.0\\.1:26686, admin at http://127\\.0\\.0\\.1:14000; stop it, or give this one another --key-prefix \\(its lease runs out in \\d+\\.\\d s`,
        ),
      );
      assert.equal(await redis.get(leaseKey(keyPrefix)), before);
    } finally {
      await first.release();
    }
  });

  test('renewed while held; update puts the real URLs in', async () => {
    const keyPrefix = fresh();
    const lease = await takeLease({
      redisUrl: REDIS_URL,
      keyPrefix,
      urls: URLS,
      ttlMs: 600,
      log: () => {},
    });
    try {
      // Three ttls later it is still there: renewed every third.
      await new Promise((r) => setTimeout(r, 1800));
      assert.equal(
        (JSON.parse((await redis.get(leaseKey(keyPrefix)))!) as { runId: string }).runId,
        lease.runId,
      );
      const real = { ...URLS, api: 'http://127.0.0.1:41234' };
      await lease.update(real);
      assert.deepEqual(
        (JSON.parse((await redis.get(leaseKey(keyPrefix)))!) as { urls: LeaseUrls }).urls,
        real,
      );
    } finally {
      await lease.release();
    }
  });

  test('a holder on this machine killed with SIGKILL: its lease is taken at once, the dead run named nowhere', async () => {
    const keyPrefix = fresh();
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(LEASE_JS)}).takeLease({ redisUrl: ${JSON.stringify(REDIS_URL)}, keyPrefix: ${JSON.stringify(keyPrefix)}, urls: ${JSON.stringify(URLS)}, log: () => {} }).then((l) => { console.log(l.runId); setInterval(() => {}, 1000); })`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const deadRun = await new Promise<string>((resolve) =>
      holder.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())),
    );
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    assert.match((await redis.get(leaseKey(keyPrefix)))!, new RegExp(deadRun));
    const started = Date.now();
    const lease = await takeLease({ redisUrl: REDIS_URL, keyPrefix, urls: URLS, log: () => {} });
    try {
      assert.ok(Date.now() - started < 1000, 'no wait for the ttl');
      assert.match((await redis.get(leaseKey(keyPrefix)))!, new RegExp(lease.runId));
    } finally {
      await lease.release();
    }
  });

  test('a holder on another machine that stopped renewing: its lease runs out by itself within its ttl, then it can be taken', async () => {
    const keyPrefix = fresh();
    const elsewhere = { runId: 'feedbeef', pid: process.pid, host: 'another-machine', urls: URLS };
    await redis.set(leaseKey(keyPrefix), JSON.stringify(elsewhere), 'PX', 900);
    await assert.rejects(
      takeLease({ redisUrl: REDIS_URL, keyPrefix, urls: URLS, log: () => {} }),
      /run feedbeef, pid \d+ on another-machine\) holds key prefix/,
    );
    const pttl = await redis.pttl(leaseKey(keyPrefix));
    assert.ok(pttl > 0 && pttl <= 900, `pttl ${pttl}`);
    const lease = await waitFor(
      "the silent holder's lease to run out",
      () => takeLease({ redisUrl: REDIS_URL, keyPrefix, urls: URLS, log: () => {} }),
      3000,
      100,
    );
    await lease.release();
  });

  test("taken again when the key vanished; another run's lease is never renewed nor deleted, and is warned of once", async () => {
    const keyPrefix = fresh();
    const lines: string[] = [];
    const lease = await takeLease({
      redisUrl: REDIS_URL,
      keyPrefix,
      urls: URLS,
      ttlMs: 300,
      log: (line) => lines.push(line),
    });
    try {
      await redis.del(leaseKey(keyPrefix));
      await waitFor('the lease taken again', async () =>
        (await redis.get(leaseKey(keyPrefix)))?.includes(lease.runId),
      );
      const other = JSON.stringify({ runId: 'feedf00d', pid: 1, host: 'elsewhere', urls: URLS });
      await redis.set(leaseKey(keyPrefix), other, 'PX', 5000);
      await new Promise((r) => setTimeout(r, 700));
      assert.equal(await redis.get(leaseKey(keyPrefix)), other);
      assert.ok((await redis.pttl(leaseKey(keyPrefix))) < 4500, 'not renewed by this holder');
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(
        lines[0]!,
        /now held by another tracelab up \(run feedf00d, pid 1 on elsewhere\)/,
      );
      await lease.release();
      assert.equal(await redis.get(leaseKey(keyPrefix)), other, 'release leaves it alone');
    } finally {
      await lease.release();
    }
  });

  test(
    'Redis away for a while: one line for the outage, and the lease taken again once it is back',
    {
      skip: noRedisServer,
    },
    async () => {
      const port = await freePort();
      const url = `redis://127.0.0.1:${port}`;
      let server = await startRedisServer(port);
      const lines: string[] = [];
      const lease = await takeLease({
        redisUrl: url,
        keyPrefix: 'tllease:',
        urls: URLS,
        ttlMs: 300,
        log: (line) => lines.push(line),
      });
      const r = new Redis(url, { lazyConnect: true });
      try {
        await stopRedisServer(server);
        // Twenty renewals fail meanwhile.
        await new Promise((res) => setTimeout(res, 2000));
        assert.equal(lines.length, 1, lines.join('\n'));
        assert.match(lines[0]!, /cannot renew the lease on key prefix "tllease:".*keeps trying/);
        server = await startRedisServer(port);
        await r.connect();
        await waitFor(
          'the lease taken again on the restarted Redis',
          async () => (await r.get('tllease:lease'))?.includes(lease.runId),
          10_000,
          100,
        );
        assert.equal(lines.length, 1, lines.join('\n'));
      } finally {
        await lease.release();
        r.disconnect();
        await stopRedisServer(server);
      }
    },
  );
});
