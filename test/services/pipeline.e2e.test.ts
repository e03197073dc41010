import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { getTrace, hasAllParents, parentOf, serviceOf, tag } from '../helpers/jaeger.js';
import type { JaegerTrace } from '../helpers/jaeger.js';
import { keysWithPrefix, REDIS_URL } from '../helpers/redis.js';
import { ON_FREE_PORTS, postOrder, startSystem, waitForCompleted } from '../helpers/system.js';
import type { Accepted, RunningSystem } from '../helpers/system.js';
import { runCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

const STEP_PARENTS: Record<string, string> = {
  input_validation: 'create_order',
  audit_logging: 'create_order',
  data_transformation: 'process_order',
  business_logic: 'process_order',
  message_formatting: 'notify_order',
  data_analysis: 'analyze_order',
  stock_check: 'reserve_stock',
};
const OPERATIONS = new Set([
  'json_processing',
  'hash_computation',
  'intensive_prime_computation',
  'extreme_cpu_computation',
  'redis_basic',
  'file_and_redis',
  'intensive_io_operations',
  'extreme_io_operations',
  // Inventory's mix adds database work (and network work when a mix asks for it).
  'db_indexed_lookup',
  'db_join_aggregate',
  'db_table_scan',
  'db_locked_transaction',
  'net_small_messages',
  'net_payload_transfer',
  'net_bulk_transfer',
  'net_stream_flood',
]);

/**
 * A trace is complete when every step span sits under its stage span with a workload span
 * under it, and no span's parent is still missing: a stage span ends, and is exported, after
 * its children, so the children alone can arrive first.
 */
function isComplete(trace: JaegerTrace | undefined): trace is JaegerTrace {
  if (!trace) return false;
  if (!hasAllParents(trace)) return false;
  return Object.entries(STEP_PARENTS).every(([step, stage]) => {
    const s = trace.spans.find((x) => x.operationName === step);
    return (
      s &&
      parentOf(trace, s)?.operationName === stage &&
      trace.spans.some((w) => OPERATIONS.has(w.operationName) && parentOf(trace, w) === s)
    );
  });
}

async function completeTrace(sys: RunningSystem, traceId: string): Promise<JaegerTrace> {
  return waitFor(
    `trace ${traceId} complete`,
    async () => {
      const t = await getTrace(sys.queryUrl, traceId);
      return isComplete(t) ? t : undefined;
    },
    30_000,
    250,
  );
}

async function groupsOf(
  prefix: string,
): Promise<Array<{ stream: string; name: string; pending: number; lag: number }>> {
  const redis = new Redis(REDIS_URL);
  try {
    const out = [];
    for (const topic of ['orders', 'processed-orders', 'notified-orders']) {
      const groups = (await redis.xinfo('GROUPS', `${prefix}${topic}`)) as unknown[][];
      for (const g of groups) {
        const f: Record<string, unknown> = Object.fromEntries(
          Array.from({ length: g.length / 2 }, (_, i): [string, unknown] => [
            String(g[2 * i]),
            g[2 * i + 1],
          ]),
        );
        out.push({
          stream: topic,
          name: String(f.name),
          pending: Number(f.pending),
          lag: Number(f.lag),
        });
      }
    }
    return out;
  } finally {
    redis.disconnect();
  }
}

describe('tracelab up: the four-service pipeline over Redis Streams', () => {
  let sys: RunningSystem;
  before(async () => {
    sys = await startSystem();
  });
  after(async () => {
    assert.equal(await sys.stop(), 0, 'tracelab up stops cleanly on SIGTERM');
  });

  test('20 orders give 20 complete traces across the five services, completed statuses, nothing pending', async () => {
    const accepted: Accepted[] = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        postOrder(sys.apiUrl, { item: `product-${i}`, quantity: i + 1 }),
      ),
    );
    assert.equal(new Set(accepted.map((a) => a.id)).size, 20);
    for (const a of accepted) {
      assert.equal(a.status, 'accepted');
      assert.match(a.traceId, /^[0-9a-f]{32}$/);
    }

    for (const a of accepted) {
      const trace = await completeTrace(sys, a.traceId);
      const services = new Set(trace.spans.map((s) => serviceOf(trace, s)));
      assert.deepEqual([...services].sort(), [
        'analytics-service',
        'api-service',
        'inventory-service',
        'notification-service',
        'processing-service',
      ]);
      const byName = (n: string) => trace.spans.find((s) => s.operationName === n);
      for (const [step, parent] of Object.entries(STEP_PARENTS)) {
        assert.equal(
          parentOf(trace, byName(step)!)?.operationName,
          parent,
          `${step} is a child of ${parent}`,
        );
      }
      // The hops: create_order → send orders → process orders → process_order, and so on.
      const hops: Array<[string, string, string]> = [
        ['create_order', 'orders', 'process_order'],
        ['process_order', 'processed-orders', 'notify_order'],
        ['notify_order', 'notified-orders', 'analyze_order'],
      ];
      for (const [from, topic, to] of hops) {
        const send = byName(`send ${topic}`)!;
        const receive = byName(`process ${topic}`)!;
        assert.equal(parentOf(trace, send)?.operationName, from);
        assert.equal(parentOf(trace, receive), send);
        assert.equal(parentOf(trace, byName(to)!), receive);
        assert.equal(tag(send, 'span.kind'), 'producer');
        assert.equal(tag(receive, 'span.kind'), 'consumer');
        assert.equal(tag(receive, 'messaging.destination.name'), topic);
        assert.equal(typeof tag(receive, 'tracelab.queue.wait_us'), 'number');
      }
      // Each store call is one CLIENT span under its stage span, not a span per command; a
      // stage that passes the order on first asks whether the API accepted it.
      const storeCalls = trace.spans
        .filter((s) => tag(s, 'db.system.name') === 'redis')
        .map((s) => `${parentOf(trace, s)?.operationName} > ${s.operationName}`)
        .sort();
      assert.deepEqual(storeCalls, [
        'analyze_order > EVALSHA record_analytics',
        'create_order > EVALSHA store_order',
        'notify_order > EVALSHA mark_stage',
        'notify_order > HEXISTS order',
        'process_order > EVALSHA mark_stage',
        'process_order > HEXISTS order',
      ]);
      for (const name of ['hset', 'expire', 'multi', 'exec', 'xadd']) {
        assert.equal(byName(name), undefined, `no per-command span "${name}"`);
      }
      const http = byName('POST /order');
      assert.ok(http, 'the HTTP server span is named after the route');
      assert.equal(parentOf(trace, byName('create_order')!), http);
      // Each workload span carries the spec's attributes and its resource figures.
      const workloads = trace.spans.filter((s) => OPERATIONS.has(s.operationName));
      // One per step: the four services' six, and inventory's, reached by processing's call.
      assert.equal(workloads.length, 7);
      for (const w of workloads) {
        assert.equal(tag(w, 'workload.operation'), w.operationName);
        assert.match(
          String(tag(w, 'workload.type')),
          /^(cpu_heavy|io_heavy|db_heavy|network_heavy)$/,
        );
        assert.match(String(tag(w, 'workload.intensity')), /^(light|medium|heavy|severe)$/);
        for (const k of ['resource.memory.avg_mb', 'resource.samples']) {
          assert.equal(typeof tag(w, k), 'number', `${w.operationName} has ${k}`);
        }
        // CPU within the cores, or none at all on a span too short to measure.
        const cpu = tag(w, 'resource.cpu.avg');
        if (tag(w, 'resource.cpu.measured') === false) {
          assert.equal(cpu, undefined, `${w.operationName}: CPU on an unmeasured span`);
        } else {
          assert.equal(tag(w, 'resource.cpu.measured'), true, w.operationName);
          assert.ok(
            typeof cpu === 'number' && cpu >= 0 && cpu <= availableParallelism() * 100,
            `${w.operationName}: ${cpu} %`,
          );
        }
      }
    }

    const statuses = await waitForCompleted(
      sys.apiUrl,
      accepted.map((a) => a.id),
    );
    for (const [i, o] of statuses.entries()) {
      assert.equal(o.traceId, accepted[i]!.traceId);
      assert.equal(o.item, `product-${i}`);
      assert.deepEqual(
        Object.values(o.stages).map((s) => s.status),
        ['done', 'done', 'done', 'done'],
      );
    }

    const groups = await waitFor(
      'every group drained',
      async () => {
        const g = await groupsOf(sys.keyPrefix);
        return g.length === 3 && g.every((x) => x.pending === 0 && x.lag === 0) ? g : undefined;
      },
      30_000,
      250,
    );
    assert.deepEqual(
      groups.map((g) => g.name),
      ['processing-service', 'notification-service', 'analytics-service'],
    );
  });

  test('one order forced with ?intensity= runs at that intensity in every service', async () => {
    // Light is in no mix of processing or analytics: only the baggage can put it there.
    const a = await postOrder(sys.apiUrl, { item: 'forced', quantity: 1 }, '?intensity=light');
    const trace = await completeTrace(sys, a.traceId);
    const workloads = trace.spans.filter((s) => OPERATIONS.has(s.operationName));
    // One per step: the four services' six, and inventory's, reached by processing's call.
    assert.equal(workloads.length, 7);
    for (const w of workloads) {
      assert.equal(
        tag(w, 'workload.intensity'),
        'light',
        `${serviceOf(trace, w)} ${w.operationName}`,
      );
    }
    await waitForCompleted(sys.apiUrl, [a.id]);
  });

  test('bad input gets a clear 4xx and stores or publishes nothing', async () => {
    const redis = new Redis(REDIS_URL);
    const xlen = () => redis.xlen(`${sys.keyPrefix}orders`);
    const before = await xlen();
    const cases: Array<[string, RequestInit, number, RegExp]> = [
      [
        'not JSON',
        { body: '{"item":', headers: { 'content-type': 'application/json' } },
        400,
        /JSON/i,
      ],
      [
        'missing item',
        { body: '{"quantity":1}', headers: { 'content-type': 'application/json' } },
        400,
        /item/,
      ],
      [
        'quantity as a string',
        { body: '{"item":"a","quantity":"3"}', headers: { 'content-type': 'application/json' } },
        400,
        /quantity/,
      ],
      [
        'quantity zero',
        { body: '{"item":"a","quantity":0}', headers: { 'content-type': 'application/json' } },
        400,
        /quantity/,
      ],
      [
        'fractional quantity',
        { body: '{"item":"a","quantity":1.5}', headers: { 'content-type': 'application/json' } },
        400,
        /quantity/,
      ],
      [
        'unknown field',
        {
          body: '{"item":"a","quantity":1,"price":2}',
          headers: { 'content-type': 'application/json' },
        },
        400,
        /additional/,
      ],
      ['an array', { body: '[]', headers: { 'content-type': 'application/json' } }, 400, /object/],
      [
        'too large',
        {
          body: JSON.stringify({ item: 'x'.repeat(100_000), quantity: 1 }),
          headers: { 'content-type': 'application/json' },
        },
        413,
        /too large/i,
      ],
      [
        'wrong content type',
        {
          body: 'item=a&quantity=1',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        },
        415,
        /content-type|media type/i,
      ],
      [
        'plain text',
        { body: '{"item":"a","quantity":1}', headers: { 'content-type': 'text/plain' } },
        415,
        /content-type|media type/i,
      ],
    ];
    for (const [name, init, status, message] of cases) {
      const res = await fetch(`${sys.apiUrl}/order`, { method: 'POST', ...init });
      assert.equal(res.status, status, name);
      const body = (await res.json()) as { message: string; statusCode: number };
      assert.equal(body.statusCode, status, name);
      assert.match(body.message, message, name);
    }
    const badIntensity = await fetch(`${sys.apiUrl}/order?intensity=extreme`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"item":"a","quantity":1}',
    });
    assert.equal(badIntensity.status, 400);
    assert.match(((await badIntensity.json()) as { message: string }).message, /intensity/);
    assert.equal(await xlen(), before, 'nothing was published');
    const keys = await keysWithPrefix(redis, `${sys.keyPrefix}order:`);
    assert.equal(keys.length, 21, 'no order was stored beyond the 21 accepted ones');
    redis.disconnect();

    assert.equal((await fetch(`${sys.apiUrl}/order/nope`)).status, 400);
    assert.equal(
      (await fetch(`${sys.apiUrl}/order/0b8f4d3e-8a57-4d6f-9a39-6a1de3a0f4b1`)).status,
      404,
    );
    const health = await fetch(`${sys.apiUrl}/health`);
    assert.equal(health.status, 200);
  });
});

describe('head-of-line blocking', () => {
  test('with processing forced heavy, 5 orders sent at once wait longer and longer', async () => {
    const sys = await startSystem(['--intensity', 'processing=heavy', '--workload-scale', '0.1']);
    try {
      const accepted = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          postOrder(sys.apiUrl, { item: `burst-${i}`, quantity: 1 }),
        ),
      );
      const hops = [];
      for (const a of accepted) {
        const trace = await completeTrace(sys, a.traceId);
        const receive = trace.spans.find((s) => s.operationName === 'process orders')!;
        const work = trace.spans.find((s) => s.operationName === 'process_order')!;
        assert.equal(tag(work, 'order.id'), a.id);
        hops.push({
          start: receive.startTime,
          waitMs: Number(tag(receive, 'tracelab.queue.wait_us')) / 1000,
          serviceUs: work.duration,
        });
      }
      hops.sort((x, y) => x.start - y.start);
      const waits = hops.map((h) => h.waitMs);
      for (let i = 1; i < waits.length; i++) {
        assert.ok(
          waits[i]! > waits[i - 1]!,
          `queue wait grows with arrival order: ${waits.join(', ')} ms`,
        );
      }
      const minServiceMs = Math.min(...hops.map((h) => h.serviceUs / 1000));
      assert.ok(
        waits[4]! - waits[0]! > 2 * minServiceMs,
        `the fifth waits for those before it: ${waits.join(', ')} ms`,
      );
    } finally {
      await sys.stop();
    }
  });
});

describe('scaling', () => {
  test('with --scale processing=2 both consumers take orders', async () => {
    const sys = await startSystem([
      '--scale',
      'processing=2',
      // Medium everywhere: the test is about who takes the orders, not about waiting out a
      // severe analytics draw on a busy machine.
      '--intensity',
      'processing=medium',
      '--intensity',
      'notification=medium',
      '--intensity',
      'analytics=medium',
      '--workload-scale',
      '0.5',
    ]);
    try {
      assert.match(sys.output(), /processing-service ×2/);
      const accepted = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          postOrder(sys.apiUrl, { item: `scaled-${i}`, quantity: 1 }),
        ),
      );
      const pids = new Set<string>();
      for (const a of accepted) {
        const trace = await completeTrace(sys, a.traceId);
        const span = trace.spans.find((s) => s.operationName === 'process_order')!;
        const proc = trace.processes[span.processID]!;
        assert.equal(proc.serviceName, 'processing-service');
        pids.add(String(proc.tags.find((t) => t.key === 'process.pid')?.value));
      }
      assert.equal(pids.size, 2, `two processing process ids: ${[...pids].join(', ')}`);
    } finally {
      await sys.stop();
    }
  });
});

describe('without Redis', () => {
  test('tracelab up says where Redis was looked for, exits non-zero, no stack trace', async () => {
    const r = await runCli(['up', '--redis-url', 'redis://127.0.0.1:1', ...ON_FREE_PORTS]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  test('tracelab service says the same', async () => {
    const r = await runCli(['service', 'processing', '--redis-url', 'redis://127.0.0.1:1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Redis/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  test('tracelab service without a valid name says which exist', async () => {
    const r = await runCli(['service', 'billing']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /api, processing, notification, analytics/);
  });
});
