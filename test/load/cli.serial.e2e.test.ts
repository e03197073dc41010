import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { getOrder, startSystem } from '../helpers/system.js';
import type { RunningSystem } from '../helpers/system.js';

interface Report {
  requests: { planned: number; sent: number; answered: number; accepted: number; failed: number };
  rate: { plannedPerSec: number | null; achievedPerSec: number | null };
  latencyMs: { count: number; p50: number; p90: number; p99: number; p999: number; max: number };
  errors: Record<string, number>;
  completion: {
    accepted: number;
    completed: number;
    missing: number;
    endToEndMs: { count: number; p50: number; max: number };
  } | null;
}

interface Row {
  index: number;
  planned_ms: number;
  sent_ms: number;
  latency_ms: number | null;
  status: number | null;
  order_id: string | null;
  trace_id: string | null;
  completed: boolean | null;
  end_to_end_ms: number | null;
}

/**
 * An API stand-in that answers 202 at once, except that for one second, starting one second
 * after the first order, it holds every answer until that second is over: a stalled server.
 */
function stallingServer(): Promise<{ server: Server; url: string; arrivals: number[] }> {
  const arrivals: number[] = [];
  let first: number | undefined;
  const server = createServer((req, res) => {
    const now = performance.now();
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    arrivals.push(now);
    first ??= now;
    req.resume();
    const answer = () =>
      res
        .writeHead(202, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id: randomUUID(), traceId: 'a'.repeat(32), status: 'accepted' }));
    const stallFrom = first + 1000;
    const stallTo = first + 2000;
    if (now >= stallFrom && now < stallTo) setTimeout(answer, stallTo - now);
    else answer();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        arrivals,
      }),
    ),
  );
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
const median = (values: readonly number[]) => quantile(values, 0.5);

/** A port nothing listens on: one the system just gave out and took back. */
function closedPort(): Promise<number> {
  const server = createServer();
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    }),
  );
}

describe('tracelab load against a server that stalls for a second', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tracelab-load-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('requests leave on schedule through the stall, and the stall shows in p99', async () => {
    const { server, url, arrivals } = await stallingServer();
    try {
      const rows = join(dir, 'rows.jsonl');
      const r = await runCli(
        [
          'load',
          '--url',
          url,
          '--rate',
          '100',
          '--duration',
          '3s',
          '--settle',
          '0',
          '--json',
          '--out',
          rows,
        ],
        { timeoutMs: 60_000 },
      );
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as Report;
      assert.equal(report.requests.planned, 300);
      assert.equal(report.requests.sent, 300);
      assert.equal(report.requests.accepted, 300);
      assert.deepEqual(report.errors, {});
      assert.equal(report.completion, null, '--settle 0 waits for nothing');

      // Send times, as the server saw them arrive, against the plan: every 10 ms, straight
      // through the second in which no answer came back.
      assert.equal(arrivals.length, 300);
      // The two processes share no clock: the median offset stands for the plan's time zero.
      const offsets = arrivals.map((t, i) => t - i * 10);
      const zero = median(offsets);
      const deviation = offsets.map((o) => Math.abs(o - zero));
      const stalled = deviation.slice(100, 200);
      console.log(
        `arrival vs plan: median ${median(deviation).toFixed(2)} ms, p99 ${quantile(deviation, 0.99).toFixed(2)} ms; ` +
          `during the stall: median ${median(stalled).toFixed(2)} ms, p99 ${quantile(stalled, 0.99).toFixed(2)} ms`,
      );
      // A closed-loop sender would send nothing while no answers come back: these would be
      // half a second late on average.
      assert.ok(median(deviation) < 5, 'requests arrive within a few ms of plan');
      assert.ok(median(stalled) < 5, 'and so do those sent while the server holds every answer');
      const inStall = arrivals.filter((t) => t >= arrivals[0]! + 1000 && t < arrivals[0]! + 2000);
      assert.ok(
        inStall.length >= 95,
        `about 100 requests arrive during the stalled second, got ${inStall.length}`,
      );

      // Latency counts from the planned send time: the orders held by the stall are its tail.
      assert.ok(report.latencyMs.p50 < 100, `p50 ${report.latencyMs.p50} ms is unaffected`);
      assert.ok(report.latencyMs.p99 >= 900, `p99 ${report.latencyMs.p99} ms shows the stall`);
      assert.ok(report.latencyMs.max >= 950 && report.latencyMs.max < 1500);
      assert.ok(
        Math.abs(report.rate.achievedPerSec! - 100) < 2,
        `achieved ${report.rate.achievedPerSec}/s`,
      );

      const lines = (await readFile(rows, 'utf8')).trim().split('\n');
      assert.equal(lines.length, 300);
      const parsed = lines.map((l) => JSON.parse(l) as Row);
      assert.deepEqual(
        parsed.map((p) => p.planned_ms),
        Array.from({ length: 300 }, (_, i) => i * 10),
      );
      const slowest = parsed.reduce((a, b) => ((a.latency_ms ?? 0) > (b.latency_ms ?? 0) ? a : b));
      assert.ok(
        slowest.index >= 95 && slowest.index <= 110,
        'the first order into the stall waited longest',
      );
      assert.match(r.stderr, /300\/300 sent/, 'progress shows on stderr');
    } finally {
      server.close();
    }
  });

  test('a text report names the percentiles and rates', async () => {
    const { server, url } = await stallingServer();
    try {
      const r = await runCli(['load', '--url', url, '--burst', '20', '--settle', '0'], {
        timeoutMs: 30_000,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^tracelab load: 20 request\(s\) at once to http/);
      assert.match(r.stdout, /requests +20\/20 sent, 20 answered: 20 accepted \(202\), 0 failed/);
      assert.match(r.stdout, /latency +p50 \S+ m?s +p90 \S+ m?s +p99 \S+ m?s +p99\.9 \S+ m?s +max/);
      assert.match(r.stdout, /errors +none/);
    } finally {
      server.close();
    }
  });

  test('bad flags and a dead API get a clear message and change nothing', async () => {
    const both = await runCli(['load', '--burst', '5', '--rate', '3']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /choose one of --count, --burst and --rate/);
    const badDuration = await runCli(['load', '--rate', '5', '--duration', 'soon']);
    assert.equal(badDuration.code, 2);
    assert.match(badDuration.stderr, /--duration: expected a duration like 1s/);
    const closed = await closedPort();
    const dead = await runCli(['load', '--url', `http://127.0.0.1:${closed}`, '--count', '1'], {
      timeoutMs: 20_000,
    });
    assert.equal(dead.code, 1);
    assert.equal(
      dead.stderr,
      `tracelab: cannot reach the API at http://127.0.0.1:${closed} (ECONNREFUSED); is \`tracelab up\` running?\n`,
    );
    assert.doesNotMatch(dead.stderr, /\n\s+at /, 'no stack trace');
  });
});

describe('tracelab load against a running system', () => {
  let sys: RunningSystem;
  let dir: string;
  before(async () => {
    sys = await startSystem();
    dir = await mkdtemp(join(tmpdir(), 'tracelab-load-'));
  });
  after(async () => {
    await sys?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('every accepted order reaches analytics, with its end-to-end time per row', async () => {
    const rows = join(dir, 'rows.csv');
    const r = await runCli(
      ['load', '--url', sys.apiUrl, '--count', '6', '--interval', '200ms', '--json', '--out', rows],
      { timeoutMs: 120_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.requests.accepted, 6);
    assert.ok(
      Math.abs(report.rate.achievedPerSec! - 5) < 0.5,
      `achieved ${report.rate.achievedPerSec}/s`,
    );
    assert.equal(report.completion?.completed, 6);
    assert.equal(report.completion?.missing, 0);
    assert.equal(report.completion?.endToEndMs.count, 6);

    const [head, ...lines] = (await readFile(rows, 'utf8')).trim().split('\n');
    assert.equal(
      head,
      'index,planned_ms,sent_ms,latency_ms,status,error,order_id,trace_id,completed,end_to_end_ms',
    );
    assert.equal(lines.length, 6);
    const e2e: number[] = [];
    for (const line of lines) {
      const cells = line.split(',');
      assert.equal(cells[4], '202');
      assert.equal(cells[8], 'true');
      // The row's end-to-end time is what the order's own record says.
      const order = (await getOrder(sys.apiUrl, cells[6]!)) as unknown as {
        status: string;
        traceId: string;
        createdAtMs: number;
        stages: { analytics: { atMs: number } };
      };
      assert.equal(order.status, 'completed');
      assert.equal(order.traceId, cells[7]);
      assert.equal(Number(cells[9]), order.stages.analytics.atMs - order.createdAtMs);
      e2e.push(Number(cells[9]));
    }
    assert.equal(report.completion?.endToEndMs.max, Math.max(...e2e));

    const analytics = (await (await fetch(`${sys.apiUrl}/analytics`)).json()) as {
      orders: number;
      items: Record<string, { orders: number }>;
    };
    assert.equal(analytics.orders, 6);
    assert.equal(analytics.items['load-product']?.orders, 6);
  });
});
