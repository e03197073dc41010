import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { TOPICS } from '../../src/model/index.js';
import { freePort } from '../../src/supervisor/redis.js';
import { startCli, stopChild } from '../helpers/cli.js';
import { noRedisServer, startRedisServer, stopRedisServer } from '../helpers/redis-server.js';
import { ON_FREE_PORTS } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

const ORDERS = 4_000;
/** Orders first sent and cleared away, so the baseline is a lab that has run, not a cold one. */
const WARM_UP = 500;
/** Requests in flight at once: enough to send faster than the pipeline drains, so it queues. */
const CLIENTS = 32;
/**
 * What Redis may hold beyond its baseline once the order records are gone: a few streams'
 * last nodes, client buffers (some 50 KB in all). A leak of 33 bytes an order would exceed it.
 */
const MEMORY_MARGIN_BYTES = 128 * 1024;

async function memoryStats(redis: Redis): Promise<Map<string, unknown>> {
  const flat = (await redis.call('MEMORY', 'STATS')) as unknown[];
  const stats = new Map<string, unknown>();
  for (let i = 0; i + 1 < flat.length; i += 2) stats.set(String(flat[i]), flat[i + 1]);
  return stats;
}

/**
 * Bytes Redis has allocated, less its clients' buffers and its key tables. The buffers come
 * and go with traffic (an idle client's query buffer is freed after a couple of seconds); the
 * key tables are sized for the most keys held lately and shrink in Redis's own time. Neither
 * says what the data holds.
 */
async function heldMemory(redis: Redis): Promise<number> {
  const stats = await memoryStats(redis);
  const db = (stats.get('db.0') as unknown[] | undefined) ?? [];
  const field = (name: string) => Number(db[db.indexOf(name) + 1] ?? 0);
  return (
    Number(stats.get('total.allocated')) -
    Number(stats.get('clients.normal')) -
    field('overhead.hashtable.main') -
    field('overhead.hashtable.expires')
  );
}

async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (batch.length > 0) await redis.del(...batch);
  } while (cursor !== '0');
}

/** Bytes Redis holds for these keys (MEMORY USAGE, every element counted). */
async function memoryUsage(redis: Redis, keys: readonly string[]): Promise<number> {
  const sizes = await Promise.all(
    keys.map((key) => redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')),
  );
  return sizes.reduce<number>((sum, size) => sum + Number(size ?? 0), 0);
}

/** Bytes Redis holds for the keys matching `pattern` (MEMORY USAGE, exact), and how many. */
async function keysMemory(redis: Redis, pattern: string): Promise<{ keys: number; bytes: number }> {
  let keys = 0;
  let bytes = 0;
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of batch) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
    for (const [err, size] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      keys++;
      bytes += Number(size ?? 0);
    }
  } while (cursor !== '0');
  return { keys, bytes };
}

interface GroupInfo {
  name: string;
  pending: number;
  lag: number | null;
}

async function groups(redis: Redis, stream: string): Promise<GroupInfo[]> {
  const rows = (await redis.call('XINFO', 'GROUPS', stream)) as (string | number | null)[][];
  return rows.map((row) => {
    const info = new Map<string, string | number | null>();
    for (let i = 0; i + 1 < row.length; i += 2) info.set(String(row[i]), row[i + 1]!);
    return {
      name: String(info.get('name')),
      pending: Number(info.get('pending')),
      lag: info.get('lag') === null ? null : Number(info.get('lag')),
    };
  });
}

async function analytics(apiUrl: string): Promise<{ orders: number; inFlight: number }> {
  return (await (await fetch(`${apiUrl}/analytics`)).json()) as {
    orders: number;
    inFlight: number;
  };
}

/** Sends `count` orders from `clients` clients at once; resolves to the 202s. */
async function sendOrders(apiUrl: string, count: number, clients: number): Promise<number> {
  let next = 0;
  let accepted = 0;
  const client = async () => {
    while (next < count) {
      next++;
      try {
        const res = await fetch(`${apiUrl}/order`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          // One item for all: the analytics aggregates stay one field each.
          body: '{"item":"trim-check","quantity":1}',
          signal: AbortSignal.timeout(30_000),
        });
        await res.arrayBuffer();
        if (res.status !== 202) throw new Error(`POST /order: ${res.status}`);
        accepted++;
      } catch (err) {
        next = count; // the other clients stop too
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return accepted;
}

describe('stream trimming', { skip: noRedisServer }, () => {
  test(`after ${ORDERS} orders the streams are trimmed and Redis is back where it started, order records apart`, async (t) => {
    const port = await freePort();
    const redisUrl = `redis://127.0.0.1:${port}`;
    const prefix = 'tltrim:';
    const streams = Object.values(TOPICS).map((topic) => prefix + topic);
    let server: ChildProcess | undefined;
    let lab: Awaited<ReturnType<typeof startCli>> | undefined;
    let redis: Redis | undefined;
    try {
      server = await startRedisServer(port);
      redis = new Redis(redisUrl);
      const r = redis;
      // Tracing off: trimming is the bus's business, and the run takes half the time.
      lab = await startCli(
        [
          'up',
          ...ON_FREE_PORTS,
          '--redis-url',
          redisUrl,
          '--key-prefix',
          prefix,
          '--workload',
          'none',
          '--tracing',
          'off',
          '--monitor',
          'off',
        ],
        /tracelab is up[\s\S]*Ctrl-C/,
        { timeoutMs: 90_000, env: { NO_COLOR: '1' } },
      );
      const apiUrl = /^ {2}API +(\S+)/m.exec(lab.output())![1]!;
      // Approximate trimming (`XTRIM MINID ~`) drops whole nodes of a stream's radix tree, so
      // once every group has acknowledged everything a stream keeps at most its last node.
      const nodeMaxEntries = Number(
        ((await r.config('GET', 'stream-node-max-entries')) as string[])[1],
      );
      const trimmed = (what: string) =>
        waitFor(
          what,
          async () => {
            const lens = await Promise.all(streams.map((s) => r.xlen(s)));
            return lens.every((n) => n <= nodeMaxEntries) ? lens : undefined;
          },
          // A consumer trims at most once a second, after its next read.
          15_000,
          250,
        ).catch(async (err: unknown) => {
          const lens = await Promise.all(streams.map((s) => r.xlen(s)));
          throw new Error(`${(err as Error).message}: ${lens.join(', ')} entries`);
        });

      // Warm-up, cleared away: the baseline is a lab that has run (connections, scripts).
      assert.equal(await sendOrders(apiUrl, WARM_UP, CLIENTS), WARM_UP);
      await waitFor(
        'the warm-up counted',
        async () => (await analytics(apiUrl)).orders === WARM_UP,
      );
      await trimmed('the streams trimmed after the warm-up');
      await deleteKeys(r, `${prefix}order:*`);
      const before = await heldMemory(r);
      const streamsBefore = await memoryUsage(r, streams);

      let peak = 0;
      const watching = setInterval(() => {
        void Promise.all(streams.map((s) => r.xlen(s)))
          .then((lens) => (peak = Math.max(peak, ...lens)))
          .catch(() => undefined);
      }, 250);
      const started = Date.now();
      let accepted: number;
      try {
        accepted = await sendOrders(apiUrl, ORDERS, CLIENTS);
      } finally {
        clearInterval(watching);
      }
      const sentMs = Date.now() - started;
      assert.equal(accepted, ORDERS);
      await waitFor(
        `analytics to count ${ORDERS} orders`,
        async () => {
          const totals = await analytics(apiUrl);
          return totals.orders === WARM_UP + ORDERS && totals.inFlight === 0;
        },
        120_000,
        500,
      );
      const doneMs = Date.now() - started;

      // Every group has acknowledged everything, and the next trim leaves a node at most.
      for (const s of streams) {
        for (const g of await groups(r, s)) {
          assert.equal(g.pending, 0, `${s}, group ${g.name}: entries pending`);
          assert.equal(g.lag, 0, `${s}, group ${g.name}: entries not yet delivered`);
        }
      }
      const lengths = await trimmed(`every stream down to ${nodeMaxEntries} entries or fewer`);

      // What Redis holds now: the streams back to a node each; the order records, kept for
      // their TTL (7 days) by design.
      const after = await heldMemory(r);
      const streamsAfter = await memoryUsage(r, streams);
      const records = await keysMemory(r, `${prefix}order:*`);
      const kb = (n: number) => `${Math.round(n / 1024)} KB`;
      t.diagnostic(
        `${ORDERS} orders sent in ${sentMs} ms, all counted after ${doneMs} ms; longest stream during the run ${peak} entries, after it ${lengths.join(', ')}`,
      );
      t.diagnostic(
        `Redis held ${kb(before)} before (clients' buffers and key tables apart), ${kb(after)} after: ${records.keys} order records ${kb(records.bytes)}, streams ${kb(streamsBefore)} → ${kb(streamsAfter)}`,
      );
      assert.equal(records.keys, ORDERS, 'one record per order');
      assert.ok(
        streamsAfter - streamsBefore <= MEMORY_MARGIN_BYTES,
        `the streams hold ${kb(streamsAfter)}, from ${kb(streamsBefore)}`,
      );

      // Once the records expire (deleted here, as their TTL would), Redis is back where it was.
      await deleteKeys(r, `${prefix}order:*`);
      const cleared = await heldMemory(r);
      t.diagnostic(
        `without the order records: ${kb(cleared)} (${kb(cleared - before)} from before)`,
      );
      assert.ok(
        Math.abs(cleared - before) <= MEMORY_MARGIN_BYTES,
        `Redis holds ${kb(cleared - before)} more than before the run, order records apart`,
      );
    } catch (err) {
      const tail = (lab?.output() ?? '').split('\n').slice(-30).join('\n');
      throw new Error(`${(err as Error).message}\n--- tracelab up said (last 30 lines):\n${tail}`, {
        cause: err,
      });
    } finally {
      if (lab) await stopChild(lab.child, 30_000);
      redis?.disconnect();
      if (server) await stopRedisServer(server);
    }
  });
});
