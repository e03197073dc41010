import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { freePort } from '../../src/supervisor/redis.js';
import { parseUpBanner } from '../../src/cli/up-banner.js';
import { startCli, stopChild } from '../helpers/cli.js';
import { ON_FREE_PORTS } from '../helpers/system.js';
import type { OrderStatus } from '../helpers/system.js';
import { noRedisServer, startRedisServer, stopRedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Longer than the clients' reconnect delay takes to reach its 2 s ceiling (about 11 s of
 * tries): the outage is met at the slowest retry pace, not only the first quick tries.
 */
const OUTAGE_MS = 15_000;
/** What a user would call a quick answer: a 503 (or /health) slower than this is a hang. */
const QUICK_MS = 2000;

interface Answer {
  item: string;
  status: number;
  ms: number;
  body: { id?: string; code?: string; message?: string };
  atMs: number;
}

/** Clients sending orders one after another until told to stop; every answer is kept. */
function loadRun(apiUrl: string, clients: number) {
  const answers: Answer[] = [];
  const failures: string[] = [];
  let stopping = false;
  let n = 0;
  const client = async () => {
    while (!stopping) {
      const i = n++;
      const item = `outage-${i}`;
      const started = Date.now();
      try {
        const res = await fetch(`${apiUrl}/order`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ item, quantity: 1 }),
          // A hang is a failure of its own, not a slow answer to wait out.
          signal: AbortSignal.timeout(15_000),
        });
        const body = (await res.json()) as Answer['body'];
        answers.push({ item, status: res.status, ms: Date.now() - started, body, atMs: started });
      } catch (err) {
        failures.push(`order ${i}: ${(err as Error).message}`);
      }
      // Paced, as shoppers are: the point is the answers, not the throughput.
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const running = Promise.all(Array.from({ length: clients }, client));
  return {
    answers,
    failures,
    async stop() {
      stopping = true;
      await running;
    },
  };
}

async function health(apiUrl: string): Promise<{ status: number; ms: number; reason?: string }> {
  const started = Date.now();
  const res = await fetch(`${apiUrl}/health`, { signal: AbortSignal.timeout(15_000) });
  const body = (await res.json()) as { reason?: string };
  return { status: res.status, ms: Date.now() - started, reason: body.reason };
}

describe('Redis outage', { skip: noRedisServer }, () => {
  test('Redis stopped for 15 s under load: quick 503s, no order lost or counted twice, no restart', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tracelab-outage-'));
    const port = await freePort();
    const redisUrl = `redis://127.0.0.1:${port}`;
    let redis = await startRedisServer(port, dir);
    let sys: Awaited<ReturnType<typeof startCli>> | undefined;
    let load: ReturnType<typeof loadRun> | undefined;
    try {
      sys = await startCli(
        ['up', ...ON_FREE_PORTS, '--redis-url', redisUrl, '--workload-scale', '0.02'],
        /tracelab is up[\s\S]*Ctrl-C/,
        { timeoutMs: 90_000, env: { NO_COLOR: '1', OTEL_BSP_SCHEDULE_DELAY: '200' } },
      );
      const text = sys.output();
      const { apiUrl, processes } = parseUpBanner(text)!;

      const clients = loadRun(apiUrl, 4);
      load = clients;
      await waitFor('orders accepted before the outage', () =>
        clients.answers.filter((a) => a.status === 202).length >= 20 ? true : undefined,
      );

      await stopRedisServer(redis);
      const outageStarted = Date.now();
      // /health says so at once, while the clients reconnect in the background.
      const during = await waitFor('/health 503', async () => {
        const h = await health(apiUrl);
        return h.status === 503 ? h : undefined;
      });
      assert.ok(during.ms < QUICK_MS, `/health answered 503 in ${during.ms} ms`);
      assert.match(during.reason ?? '', /Redis is unreachable/);
      await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - outageStarted)));
      const lateHealth = await health(apiUrl);
      assert.equal(lateHealth.status, 503, '/health 503 all through the outage');
      assert.ok(lateHealth.ms < QUICK_MS, `/health answered in ${lateHealth.ms} ms`);

      redis = await startRedisServer(port, dir);
      const outageEnded = Date.now();
      await waitFor('/health 200 again', async () => (await health(apiUrl)).status === 200, 30_000);
      const acceptedBefore = clients.answers.filter((a) => a.status === 202).length;
      await waitFor('orders accepted after the outage', () =>
        clients.answers.filter((a) => a.status === 202).length >= acceptedBefore + 20
          ? true
          : undefined,
      );
      await clients.stop();

      assert.deepEqual(clients.failures, [], 'every request was answered');
      const statuses = new Set(clients.answers.map((a) => a.status));
      assert.deepEqual([...statuses].sort(), [202, 503], 'only 202s and 503s');
      const refused = clients.answers.filter((a) => a.status === 503);
      const inOutage = refused.filter((a) => a.atMs >= outageStarted && a.atMs < outageEnded);
      assert.ok(inOutage.length >= 20, `${inOutage.length} orders refused during the outage`);
      const slowest = Math.max(...refused.map((a) => a.ms));
      t.diagnostic(
        `${clients.answers.length - refused.length} accepted, ${refused.length} refused (${inOutage.length} during the outage), slowest 503 ${slowest} ms, /health 503 in ${during.ms} ms`,
      );
      assert.ok(slowest < QUICK_MS, `the slowest 503 took ${slowest} ms`);
      for (const r of refused) {
        assert.equal(r.body.code, 'ERR_REDIS_UNREACHABLE');
        assert.match(r.body.message ?? '', /^Redis is unreachable/);
      }

      // A 503 with an id: Redis went away while that order was being published, so whether
      // it got out was not known yet. Each settles: it goes through (200, completed) or it
      // is dropped (404); never left half-way.
      const uncertain = refused.filter((a) => a.body.id !== undefined);
      for (const r of uncertain) {
        assert.match(r.body.message ?? '', new RegExp(`GET /order/${r.body.id} says which`));
      }
      const settled = new Map<string, number>();
      await waitFor(
        `${uncertain.length} orders refused mid-publish settled`,
        async () => {
          for (const r of uncertain) {
            if (settled.has(r.item)) continue;
            const res = await fetch(`${apiUrl}/order/${r.body.id}`);
            const body = (await res.json()) as OrderStatus;
            if (res.status === 404 || body.status === 'completed') settled.set(r.item, res.status);
          }
          return settled.size === uncertain.length ? true : undefined;
        },
        60_000,
        500,
      );
      const wentThrough = uncertain.filter((r) => settled.get(r.item) === 200);
      t.diagnostic(
        `${uncertain.length} refused mid-publish: ${wentThrough.length} went through, ${uncertain.length - wentThrough.length} dropped`,
      );

      // Every accepted order completes, each counted once; nothing refused was counted, but
      // for those that went through, as GET /order said.
      const accepted = clients.answers.filter((a) => a.status === 202).map((a) => a.body.id!);
      await waitFor(
        `${accepted.length} accepted orders completed`,
        async () => {
          const all = await Promise.all(
            accepted.map(
              async (id) => (await (await fetch(`${apiUrl}/order/${id}`)).json()) as OrderStatus,
            ),
          );
          return all.every((o) => o.status === 'completed') ? true : undefined;
        },
        180_000,
        1000,
      );
      const counted = [
        ...clients.answers.filter((a) => a.status === 202).map((a) => a.item),
        ...wentThrough.map((a) => a.item),
      ].sort();
      const check = new Redis(redisUrl);
      try {
        const totals = await check.hgetall('tracelab:analytics:totals');
        const items = await check.hgetall('tracelab:analytics:items');
        assert.equal(Number(totals.orders), counted.length, 'each accepted order counted once');
        assert.equal(Number(totals.quantity), counted.length);
        assert.deepEqual(Object.keys(items).sort(), counted, 'only accepted orders counted');
        assert.ok(
          Object.values(items).every((q) => q === '1'),
          'no order counted twice',
        );
      } finally {
        check.disconnect();
      }

      // The same processes throughout: they recovered on their own.
      const out = sys.output();
      assert.doesNotMatch(out, /restarting in/);
      for (const { label, pid } of processes) {
        assert.doesNotThrow(() => process.kill(pid, 0), `${label} ${pid} still running`);
      }
    } catch (err) {
      const tail = (sys?.output() ?? '').split('\n').slice(-40).join('\n');
      throw new Error(`${(err as Error).message}\n--- tracelab up said (last 40 lines):\n${tail}`, {
        cause: err,
      });
    } finally {
      // Clients left running would keep this file's process alive after a failure.
      await load?.stop();
      if (sys) await stopChild(sys.child, 30_000);
      await stopRedisServer(redis);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
