import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { launchChromium, screenshot, watchedPage } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { getTrace, serviceOf, tag } from '../helpers/jaeger.js';
import type { JaegerSpan, JaegerTrace } from '../helpers/jaeger.js';
import { setFaults, switchFaults } from '../helpers/inventory-orders.js';
import { createSeededTestDatabase } from '../helpers/seeded-database.js';
import type { TestDatabase } from '../helpers/postgres.js';
import { REDIS_URL } from '../helpers/redis.js';
import { getOrder, postOrder, startSystem, waitForCompleted } from '../helpers/system.js';
import type { RunningSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

const STATE = 'tracelab.circuit_breaker.state';
const RESEND = 'http.request.resend_count';

/** processing's HTTP attempts at inventory: the undici instrumentation's CLIENT spans. */
const attempts = (t: JaegerTrace) =>
  t.spans.filter(
    (s) =>
      serviceOf(t, s) === 'processing-service' &&
      tag(s, 'span.kind') === 'client' &&
      String(tag(s, 'url.full') ?? '').endsWith('/reservations'),
  );

interface JaegerLogged extends JaegerSpan {
  logs?: Array<{ fields: Array<{ key: string; value: unknown }> }>;
}
const events = (s: JaegerSpan, name: string) =>
  ((s as JaegerLogged).logs ?? []).filter((l) =>
    l.fields.some((f) => f.key === 'event' && f.value === name),
  );

/**
 * processing calls inventory under its policies (retries, breaker) while inventory's
 * injected error fault fails some or all of its calls: retries show as resent CLIENT spans,
 * an open breaker as its state on the spans, and every accepted order completes once, none
 * dead-lettered.
 */
describe("processing's policies around its call to inventory", () => {
  let tdb: TestDatabase;
  let system: RunningSystem;
  let redis: Redis;
  const sent: string[] = [];
  const traces = new Map<string, string>();

  before(async () => {
    tdb = await createSeededTestDatabase();
    system = await startSystem([
      '--database-url',
      tdb.url,
      '--workload',
      'none',
      '--concurrency',
      '4',
      // A breaker's half-open probe that fails counts towards its message's limit (a 500 is
      // inventory failing that call, not inventory away): room for a few in a long outage.
      '--max-deliveries',
      '10',
    ]);
    redis = new Redis(REDIS_URL);
  });
  after(async () => {
    redis?.disconnect();
    await system?.stop();
    await tdb?.drop();
  });

  const send = async (n: number, label: string) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const a = await postOrder(system.apiUrl, { item: `${label}-${i}`, quantity: 1 });
      ids.push(a.id);
      traces.set(a.id, a.traceId);
    }
    sent.push(...ids);
    return ids;
  };
  const traceOf = (id: string, whole: (t: JaegerTrace) => boolean) =>
    waitFor(
      `the trace of ${id}`,
      async () => {
        const t = await getTrace(system.queryUrl, traces.get(id)!);
        return t && whole(t) ? t : undefined;
      },
      20_000,
      300,
    );
  const analyzed = (t: JaegerTrace) => t.spans.some((s) => s.operationName === 'analyze_order');
  const noDeadLetters = async () => {
    assert.equal(await redis.xlen(`${system.keyPrefix}orders.dlq`), 0, 'no dead letter');
    const totals = (await (await fetch(`${system.apiUrl}/analytics`)).json()) as {
      orders: number;
    };
    assert.equal(totals.orders, sent.length, 'analytics counted each order once');
  };

  test('half the calls failing: the failed ones are resent, every order completes', async () => {
    await setFaults(system, 'inventory.error=0.5');
    const ids = await send(20, 'half');
    await waitForCompleted(system.apiUrl, ids, 90_000);
    const all = await Promise.all(ids.map((id) => traceOf(id, analyzed)));
    const spans = all.flatMap(attempts);
    assert.ok(spans.length > ids.length, `more attempts (${spans.length}) than orders`);
    const resent = spans.filter((s) => Number(tag(s, RESEND) ?? 0) >= 1);
    assert.ok(resent.length > 0, 'some attempts are resends');
    assert.ok(
      spans.every((s) => ['closed', 'half_open', 'open'].includes(String(tag(s, STATE)))),
      'every attempt says the breaker state',
    );
    // The first attempt of each call carries no resend count (OpenTelemetry: set on resends).
    assert.ok(spans.some((s) => tag(s, RESEND) === undefined));
    await noDeadLetters();
  });

  test('every call failing opens the breaker; once inventory is back every order completes', async () => {
    // Chromium starts while the switches are read and the breaker opens, not after.
    const launching = launchChromium();
    // A launch that fails is this test's failure where it is awaited.
    launching.catch(() => undefined);
    try {
      // A short pause, switched at run time, so the breaker half-opens within the test.
      const cli = await runCli([
        'resilience',
        'set',
        'breaker_pause_ms=1500',
        '--admin-url',
        system.adminUrl,
      ]);
      assert.equal(cli.code, 0, cli.stderr);
      assert.match(cli.stdout, /^breaker_pause_ms=1500 {2}\(switched at run time\)$/m);
      assert.match(cli.stdout, /^retries=2$/m);
      const bad = await fetch(`${system.adminUrl}/resilience`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ set: ['retries=many'] }),
      });
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as { code: string }).code, 'ERR_BAD_RESILIENCE');
      await setFaults(system, 'inventory.error=1');
      const ids = await send(8, 'down');
      // Refused by the open breaker: the stage span says so, with no HTTP attempt under it.
      const refused = await waitFor(
        'a delivery refused by the open breaker',
        async () => {
          for (const id of ids) {
            const t = await getTrace(system.queryUrl, traces.get(id)!);
            const s = t?.spans.find(
              (x) => serviceOf(t, x) === 'processing-service' && tag(x, STATE) === 'open',
            );
            if (t && s) return { t, s };
          }
          return undefined;
        },
        30_000,
        500,
      );
      assert.ok(refused.s);
      const opened = await waitFor(
        'the span event of the breaker opening',
        async () => {
          for (const id of ids) {
            const t = await getTrace(system.queryUrl, traces.get(id)!);
            const s = t?.spans.find((x) =>
              events(x, 'circuit_breaker.state_change').some((l) =>
                l.fields.some((f) => f.key === 'to' && f.value === 'open'),
              ),
            );
            if (s) return s;
          }
          return undefined;
        },
        30_000,
        500,
      );
      assert.ok(opened);
      // The System view: the call's box says the breaker is open, in red.
      const browser = await launching;
      const w = await watchedPage(browser, new URL(system.queryUrl).origin);
      await w.page.setViewportSize({ width: 1400, height: 1000 });
      await w.page.goto(`${system.queryUrl}/system`);
      const policy = w.page.locator('.map-edge.call.sync .call-policy', {
        hasText: 'breaker open',
      });
      await policy.waitFor({ timeout: 30_000 });
      assert.match((await policy.textContent()) ?? '', /^\d+\.\d attempts\/order · breaker open$/);
      assert.match((await policy.getAttribute('class')) ?? '', /error-mark/);
      await screenshot(w.page, 'system-breaker-open');
      assert.deepEqual(w.pageErrors, []);
      // Done with: closed before the recovery, which an open page would only slow.
      await browser.close();
      const during = await Promise.all(ids.map((id) => getOrder(system.apiUrl, id)));
      assert.ok(during.every((o) => o.status === 'in_progress'));

      // Not waited for: the orders complete only once inventory has read it.
      await switchFaults(system, 'inventory.error=0');
      await waitForCompleted(system.apiUrl, ids, 90_000);
      // The breaker closed again: a later order's attempts say so.
      const [late] = await send(1, 'after');
      await waitForCompleted(system.apiUrl, [late!], 30_000);
      const t = await traceOf(late!, analyzed);
      assert.ok(attempts(t).length >= 1);
      assert.ok(attempts(t).every((s) => tag(s, STATE) === 'closed'));
      await noDeadLetters();
    } finally {
      await (await launching.catch(() => undefined))?.close();
    }
  });
});
