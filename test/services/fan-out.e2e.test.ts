import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { createRedisAuditLog, createRedisOrderStore } from '../../src/store/index.js';
import type { AuditLog } from '../../src/store/index.js';
import { launchChromium, screenshot, watchedPage } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { getTrace, parentOf } from '../helpers/jaeger.js';
import { REDIS_URL } from '../helpers/redis.js';
import { startSystem } from '../helpers/system.js';
import type { Accepted, RunningSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';
import { auditedAndCounted, notifiedLag, sendOrders } from './fan-out-fixtures.js';
import type { LagRow } from './fan-out-fixtures.js';

const env = { TRACELAB_BUS: '', REDIS_URL: '', TRACELAB_KEY_PREFIX: '', TRACELAB_ADMIN_URL: '' };

describe('fan-out: up --audit reads notified-orders in a second consumer group', () => {
  let sys: RunningSystem;
  let redis: Redis;
  let audit: AuditLog;
  let browser: Browser | undefined;
  const sent: Accepted[] = [];
  const busArgs = () => ['--redis-url', REDIS_URL, '--key-prefix', sys.keyPrefix];

  before(async () => {
    sys = await startSystem(['--audit']);
    redis = new Redis(REDIS_URL);
    audit = createRedisAuditLog(redis, { keyPrefix: sys.keyPrefix });
  });

  after(async () => {
    await browser?.close();
    redis?.disconnect();
    await sys?.stop();
  });

  test('every order is audited once and counted once by analytics; audit sits beside analytics in the trace', async () => {
    assert.match(sys.output(), /audit-service/);
    sent.push(...(await sendOrders(sys, 8, 'fan')));
    await auditedAndCounted(sys, audit, sent);
    // The audit record expires with the order's record.
    const ttl = await redis.ttl(`${sys.keyPrefix}audit:order:${sent[0]!.id}`);
    assert.ok(ttl > 0, `audit record expires (ttl ${ttl})`);
    // Both consumers are children of notification's one send: the topic fans out.
    const trace = await waitFor(
      'a trace with audit_order',
      async () => {
        const t = await getTrace(sys.queryUrl, sent[0]!.traceId);
        return t?.spans.some((s) => s.operationName === 'audit_order') &&
          t.spans.some((s) => s.operationName === 'analyze_order')
          ? t
          : undefined;
      },
      30_000,
      250,
    );
    const consumers = trace.spans.filter((s) => s.operationName === 'process notified-orders');
    assert.equal(consumers.length, 2);
    const sends = new Set(consumers.map((c) => parentOf(trace, c)?.operationName));
    assert.deepEqual([...sends], ['send notified-orders']);
    assert.equal(new Set(consumers.map((c) => parentOf(trace, c)?.spanID)).size, 1);
  });

  test('lag per group: a slow audit falls behind while analytics keeps up, in tracelab lag, the live lag and the System view', async () => {
    const set = await runCli(['fault', 'set', 'audit.latency=2s', '--admin-url', sys.adminUrl], {
      env,
    });
    assert.equal(set.code, 0, set.stderr);
    const burst = await sendOrders(sys, 30, 'slow');
    sent.push(...burst);
    // Analytics counts the burst at its own pace: audit's delay is not analytics' delay. Read
    // from Redis, not by polling the API: the System view maps the API's latest traces, which
    // must be the orders', not the polls'.
    const store = createRedisOrderStore(redis, { keyPrefix: sys.keyPrefix });
    await waitFor(
      'analytics counted the burst',
      async () => (await store.totals()).orders === sent.length,
      90_000,
      250,
    );
    // Audit handles one order per 2 s, slower than they arrive: its backlog grows. Read once
    // analytics has finished the burst, so analytics' own backlog is 0.
    let last = new Map<string, number>();
    const lag = await waitFor(
      'audit behind while analytics is not',
      async () => {
        last = await notifiedLag(busArgs());
        return (last.get('audit-service') ?? 0) >= 10 && last.get('analytics-service') === 0
          ? last
          : undefined;
      },
      20_000,
      100,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last reading ${JSON.stringify([...last])}`);
    });
    assert.ok(lag.get('audit-service')! >= 10, JSON.stringify([...lag]));

    // The collector's live lag: both groups of notified-orders, each on its own line.
    const live = (await (await fetch(`${sys.queryUrl}/api/tracelab/lag`)).json()) as {
      data: { groups: LagRow[] };
    };
    const groups = live.data.groups.filter((g) => g.topic === 'notified-orders');
    assert.deepEqual(groups.map((g) => g.group).sort(), ['analytics-service', 'audit-service']);

    // The System view: notified-orders drawn once, with an edge and a lag per group.
    browser = await launchChromium();
    const w = await watchedPage(browser, new URL(sys.queryUrl).origin);
    const { page } = w;
    await page.setViewportSize({ width: 1500, height: 1300 });
    await page.goto(`${sys.queryUrl}/system`);
    const fan = page.locator('.map-edge.topic.fan-out[data-topic="notified-orders"]');
    await fan.waitFor({ timeout: 60_000 }).catch(async (err: Error) => {
      const shot = await screenshot(page, 'system-fan-out-missing');
      throw new Error(`${err.message} (see ${shot}; page errors: ${w.pageErrors.join('; ')})`);
    });
    assert.equal(await fan.getAttribute('data-groups'), '2');
    const groupBoxes = page.locator('.map-edge.group[data-topic="notified-orders"]');
    assert.deepEqual(
      (await Promise.all((await groupBoxes.all()).map((e) => e.getAttribute('data-group')))).sort(),
      ['analytics-service', 'audit-service'],
    );
    const auditBox = page.locator('.map-edge.group[data-group="audit-service"]');
    await waitFor(
      'the audit group box showing its lag',
      async () => Number((await auditBox.getAttribute('data-lag')) || '0') > 0,
      30_000,
      250,
    );
    assert.match(
      (await auditBox.locator('.lag-mark').textContent()) ?? '',
      /^lag [1-9]\d* \(live\)$/,
    );
    const analyticsBox = page.locator('.map-edge.group[data-group="analytics-service"]');
    assert.match(
      (await analyticsBox.locator('.lag-mark').textContent()) ?? '',
      /^lag \d+ \(live\)$/,
    );
    // For a person to look at (docs/images/system-fan-out.png is one of these).
    await screenshot(page, 'system-fan-out');
    assert.deepEqual(w.pageErrors, []);

    const clear = await runCli(['fault', 'clear', '--admin-url', sys.adminUrl], { env });
    assert.equal(clear.code, 0, clear.stderr);
    // Once audit catches up: every order audited once, counted once, nothing lost.
    await auditedAndCounted(sys, audit, sent);
    await waitFor(
      'audit caught up',
      async () => (await notifiedLag(busArgs())).get('audit-service') === 0,
      60_000,
      250,
    );
  });
});
