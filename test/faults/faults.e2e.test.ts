import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { runCli } from '../helpers/cli.js';
import { getTrace, serviceOf, tag } from '../helpers/jaeger.js';
import type { JaegerSpan, JaegerTrace } from '../helpers/jaeger.js';
import { REDIS_URL } from '../helpers/redis.js';
import { getOrder, postOrder, startSystem, waitForCompleted } from '../helpers/system.js';
import type { RunningSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

const env = { TRACELAB_BUS: '', REDIS_URL: '', TRACELAB_KEY_PREFIX: '', TRACELAB_ADMIN_URL: '' };

async function fault(system: RunningSystem, ...args: string[]) {
  const r = await runCli(['fault', ...args, '--admin-url', system.adminUrl], { env });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** The order's trace once the spans of `operation` (and all before it) have arrived. */
function traceWith(system: RunningSystem, traceId: string, ok: (t: JaegerTrace) => boolean) {
  return waitFor(`trace ${traceId}`, async () => {
    const t = await getTrace(system.queryUrl, traceId);
    return t && ok(t) ? t : undefined;
  });
}

const spansNamed = (t: JaegerTrace, name: string): JaegerSpan[] =>
  t.spans.filter((s) => s.operationName === name);

test(
  'faults switched at run time show on the spans; an order failed by one is dead-lettered, then replayed and counted once',
  { timeout: 240_000 },
  async (t) => {
    const system = await startSystem(['--max-deliveries', '2', '--workload', 'none']);
    const redis = new Redis(REDIS_URL);
    t.after(async () => {
      redis.disconnect();
      await system.stop();
    });
    const common = ['--redis-url', REDIS_URL, '--key-prefix', system.keyPrefix];
    assert.match(await fault(system, 'list'), /no faults in force/);

    const bad = await runCli(
      ['fault', 'set', 'processing.crash=2', '--admin-url', system.adminUrl],
      { env },
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /crash takes a probability from 0 to 1/);

    const shown = await fault(
      system,
      'set',
      'notification.latency=300ms',
      'processing.leak=1MB',
      'analytics.error=1',
    );
    assert.match(shown, /notification\.latency=300ms/);
    assert.match(shown, /analytics\.error=1/);
    // Services read the switches every second.
    await new Promise((r) => setTimeout(r, 1500));

    const order = await postOrder(system.apiUrl, { item: 'faulty', quantity: 2 });
    const dead = await waitFor(
      'the order dead-lettered by analytics',
      async () => {
        const o = await getOrder(system.apiUrl, order.id);
        return o.status === 'dead_lettered' ? o : undefined;
      },
      60_000,
      200,
    );
    assert.match(dead.stages.analytics.reason ?? '', /injected fault: analytics\.error/);

    const trace = await traceWith(
      system,
      order.traceId,
      (tr) => spansNamed(tr, 'analyze_order').length >= 2,
    );
    const [notify] = spansNamed(trace, 'notify_order');
    assert.equal(tag(notify!, 'tracelab.fault'), 'latency');
    assert.equal(tag(notify!, 'tracelab.fault.latency_ms'), 300);
    assert.ok(notify!.duration >= 300_000, `notify_order took ${notify!.duration} µs`);
    const [processing] = spansNamed(trace, 'process_order');
    assert.equal(tag(processing!, 'tracelab.fault'), 'leak');
    assert.ok(Number(tag(processing!, 'tracelab.fault.leaked_mb')) >= 1);
    const analyses = spansNamed(trace, 'analyze_order');
    assert.equal(analyses.length, 2, 'two deliveries, then the dead-letter topic');
    for (const s of analyses) {
      assert.equal(tag(s, 'tracelab.fault'), 'error');
      assert.equal(tag(s, 'otel.status_code'), 'ERROR');
    }
    assert.equal(serviceOf(trace, analyses[0]!), 'analytics-service');

    // Fixed: the fault off, the dead letter replayed; the order completes, counted once.
    await fault(system, 'set', 'analytics.error=off');
    await new Promise((r) => setTimeout(r, 1500));
    const replay = await runCli(['dlq', 'replay', ...common], { env });
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, /1 dead letter\(s\) replayed/);
    await waitForCompleted(system.apiUrl, [order.id], 30_000);
    assert.equal(await redis.hget(`${system.keyPrefix}analytics:totals`, 'orders'), '1');
    const after = await runCli(['dlq', ...common], { env });
    assert.match(after.stdout, /^notified-orders\.dlq\s+0$/m);

    // A queue flood: each order published four times, counted once.
    await fault(system, 'clear');
    await fault(system, 'set', 'api.duplicate=3');
    await new Promise((r) => setTimeout(r, 1500));
    const flooded = await postOrder(system.apiUrl, { item: 'flood', quantity: 1 });
    await waitForCompleted(system.apiUrl, [flooded.id], 30_000);
    const floodTrace = await traceWith(
      system,
      flooded.traceId,
      (tr) => spansNamed(tr, 'analyze_order').length >= 4,
    );
    assert.equal(spansNamed(floodTrace, 'send orders').length, 4);
    const [create] = spansNamed(floodTrace, 'create_order');
    assert.equal(tag(create!, 'tracelab.fault'), 'duplicate');
    assert.equal(tag(create!, 'tracelab.fault.duplicates'), 3);
    await waitFor('all copies handled', async () => {
      const lag = await runCli(['lag', ...common, '--json'], { env });
      const entries = JSON.parse(lag.stdout) as { lag: number; pending: number }[];
      return entries.every((e) => e.lag === 0 && e.pending === 0);
    });
    assert.equal(await redis.hget(`${system.keyPrefix}analytics:totals`, 'orders'), '2');
  },
);

test(
  'an injected crash kills the service mid-order; up restarts it; the order is dead-lettered after the limit',
  { timeout: 240_000 },
  async (t) => {
    const system = await startSystem([
      '--max-deliveries',
      '2',
      '--workload',
      'none',
      '--fault',
      'processing.crash=1',
    ]);
    t.after(() => system.stop());
    assert.match(system.output(), /Faults .* in force: processing\.crash=1/);
    const order = await postOrder(system.apiUrl, { item: 'crashing', quantity: 1 });
    const dead = await waitFor(
      'the order dead-lettered after the crashes',
      async () => {
        const o = await getOrder(system.apiUrl, order.id);
        return o.status === 'dead_lettered' ? o : undefined;
      },
      90_000,
      250,
    );
    assert.match(dead.stages.processing.reason ?? '', /delivered 3 times without completing/);
    assert.match(system.output(), /processing-service +\| stopped \(signal SIGKILL\); restarting/);
    const trace = await traceWith(system, order.traceId, (tr) =>
      spansNamed(tr, 'process orders').some((s) => tag(s, 'tracelab.dead_letter') === true),
    );
    const crashed = spansNamed(trace, 'process_order').filter(
      (s) => tag(s, 'tracelab.fault') === 'crash',
    );
    assert.equal(crashed.length, 2, 'one crashed span per delivery that crashed');
    const consumerSpans = spansNamed(trace, 'process orders');
    assert.ok(consumerSpans.some((s) => tag(s, 'tracelab.fault') === 'crash'));
    assert.ok(consumerSpans.some((s) => tag(s, 'tracelab.dead_letter') === true));
  },
);
