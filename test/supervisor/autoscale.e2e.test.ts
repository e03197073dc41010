import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { runCli } from '../helpers/cli.js';
import path from 'node:path';
import { launchChromium, SCREENSHOT_DIR, screenshot, watchedPage } from '../helpers/browser.js';
import { getTrace, serviceOf, tag } from '../helpers/jaeger.js';
import type { JaegerTrace } from '../helpers/jaeger.js';
import { REDIS_URL } from '../helpers/redis.js';
import { postOrder, startSystem, waitForCompleted } from '../helpers/system.js';
import type { Accepted, RunningSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

/*
 * The autoscaler on a real `tracelab up`: a burst on a slow processing adds a replica, an idle
 * spell removes it, and every order is counted once.
 */

interface Event {
  at: number;
  service: string;
  from: number;
  to: number;
  reason: string;
  backlog: number;
  error?: string;
}
interface View {
  services: Record<string, { min: number; max: number }>;
  current: Record<string, { replicas: number; backlog: number | null }>;
  events: Event[];
}

const BURST = 60;
let sys: RunningSystem;
let burst: Accepted[] = [];
let added: Event | undefined;

before(async () => {
  sys = await startSystem([
    '--autoscale',
    'processing=1..2',
    // Short windows, so a test takes seconds: the defaults are for a lab one watches.
    '--autoscale-lag',
    '10',
    '--autoscale-window-ms',
    '1000',
    '--autoscale-idle-ms',
    '3000',
    '--autoscale-cooldown-ms',
    '1000',
    // Each order spends 150 ms in processing: a burst of 60 waits seconds for one replica.
    '--fault',
    'processing.latency=150ms',
  ]);
});
after(() => sys?.stop());

const cli = (...args: string[]) =>
  runCli([...args, '--admin-url', sys.adminUrl], { env: { TRACELAB_ADMIN_URL: '' } });

async function view(): Promise<View> {
  const res = await fetch(`${sys.adminUrl}/autoscale`);
  assert.equal(res.status, 200);
  return (await res.json()) as View;
}

/** Says what up logged when the wait fails: the autoscaler's lines first of all. */
async function explained<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const said = sys
      .output()
      .split('\n')
      .filter((l) => /autoscaler|tracelab/.test(l))
      .slice(-30)
      .join('\n');
    throw new Error(`${(err as Error).message}\n--- up said:\n${said}`, { cause: err });
  }
}

test('up --autoscale: the bounds and settings served, no event before any load', async () => {
  const v = await view();
  assert.deepEqual(v.services, { processing: { min: 1, max: 2 } });
  assert.equal(v.current.processing?.replicas, 1);
  assert.deepEqual(v.events, []);
  // The backlog is read each second from the start.
  await waitFor('a backlog read', async () => (await view()).current.processing?.backlog !== null);
  const shown = await cli('autoscale');
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /^processing: 1\.\.2 replicas, now 1, backlog \d+/m);
  assert.match(shown.stdout, /adds one while the backlog stays above 10 for 1000 ms/);
});

test('a burst on a slow processing adds a replica: the event served, a second instance in the spans', async () => {
  burst = await Promise.all(
    Array.from({ length: BURST }, (_, i) =>
      postOrder(sys.apiUrl, { item: `burst-${i}`, quantity: i + 1 }),
    ),
  );
  added = await explained(() =>
    waitFor(
      'the autoscaler adding a processing replica',
      async () => (await view()).events.find((e) => e.to === 2),
      60_000,
      200,
    ),
  );
  assert.equal(added.service, 'processing');
  assert.equal(added.from, 1);
  assert.equal(added.error, undefined);
  assert.ok(added.backlog > 10, `backlog ${added.backlog}`);
  assert.match(added.reason, /^backlog \d+ above 10 for \d+\.\d s$/);
  assert.match(sys.output(), /autoscaler\s*\| scaled processing 1 → 2 replicas: backlog/);

  await waitForCompleted(
    sys.apiUrl,
    burst.map((o) => o.id),
    120_000,
  );
  const instances = await waitFor(
    'processing spans of two instances',
    async () => {
      const seen = new Set<string>();
      for (const o of burst) {
        const t = await getTrace(sys.queryUrl, o.traceId);
        for (const s of t?.spans ?? []) {
          if (serviceOf(t!, s) !== 'processing-service') continue;
          seen.add(String(tag(t!.processes[s.processID]!, 'service.instance.id')));
        }
      }
      return seen.size === 2 ? seen : undefined;
    },
    30_000,
    500,
  );
  assert.deepEqual([...instances].sort(), ['processing-service-1', 'processing-service-2']);
});

/** The trace's first start and last end, µs. */
function spanOf(t: JaegerTrace): { startUs: number; endUs: number } {
  return {
    startUs: Math.min(...t.spans.map((s) => s.startTime)),
    endUs: Math.max(...t.spans.map((s) => s.startTime + s.duration)),
  };
}

test('browser: the scale-up is marked on processing’s CPU chart of a burst order, and listed on the System view', async () => {
  assert.ok(added, 'a scale-up event (the test before)');
  const atUs = added.at * 1000;
  // An order that waited through the scale-up: its trace's time range holds the event.
  let through: JaegerTrace | undefined;
  for (const o of [...burst].reverse()) {
    const t = await getTrace(sys.queryUrl, o.traceId);
    if (t && spanOf(t).startUs < atUs && spanOf(t).endUs > atUs) {
      through = t;
      break;
    }
  }
  assert.ok(through, 'a burst order in flight when processing was scaled');
  const browser = await launchChromium();
  try {
    const w = await watchedPage(browser, new URL(sys.queryUrl).origin);
    const { page } = w;
    await page.goto(`${sys.queryUrl}/trace/${through.traceID}`);
    const section = page.locator('.service-resources[data-service="processing-service"]');
    const mark = section.locator(`.scale-marks li[data-at="${added.at}"]`);
    await mark.waitFor({ timeout: 30_000 });
    assert.match(
      await mark.innerText(),
      /scaled 1 → 2 replicas at -?\d+\.\d s: backlog \d+ above 10/,
    );
    // Drawn on the chart of the processing process that ran then (the new one starts after).
    const charts = section.locator('.chart');
    await charts.first().waitFor();
    const drawn = await Promise.all(
      (await charts.all()).map(async (c) => Number(await c.getAttribute('data-marks'))),
    );
    assert.ok(drawn.includes(1), `marks per chart: ${drawn.join(', ')}`);
    // Only processing was scaled: no other service's charts carry a mark.
    assert.equal(
      await page
        .locator('.service-resources:not([data-service="processing-service"]) .scale-marks li')
        .count(),
      0,
    );
    await section.scrollIntoViewIfNeeded();
    await screenshot(page, 'autoscale-trace');
    // The processing charts alone: the picture docs/ui.md shows.
    await section.screenshot({ path: path.join(SCREENSHOT_DIR, 'autoscale-marks.png') });

    await page.goto(`${sys.queryUrl}/system`);
    const listed = page.locator(`.scaling-panel li[data-at="${added.at}"]`);
    await listed.waitFor({ timeout: 30_000 });
    assert.match(await listed.innerText(), /processing 1 → 2: backlog \d+ above 10/);
    await screenshot(page, 'autoscale-system');
    assert.deepEqual(w.pageErrors, []);
    assert.deepEqual(w.foreignRequests, []);
  } finally {
    await browser.close();
  }
});

test('idle: the replica is removed again, and every order of the burst is counted once', async () => {
  const removed = await explained(() =>
    waitFor(
      'the autoscaler removing the replica',
      async () => (await view()).events.find((e) => e.from === 2 && e.to === 1),
      60_000,
      200,
    ),
  );
  assert.match(removed.reason, /^backlog 0 for \d+\.\d s$/);
  assert.equal((await view()).current.processing?.replicas, 1);
  // Any duplicate delivery would have come by now; analytics counts what it received.
  await new Promise((r) => setTimeout(r, 2000));
  const redis = new Redis(REDIS_URL);
  try {
    const totals = await redis.hgetall(`${sys.keyPrefix}analytics:totals`);
    const items = await redis.hgetall(`${sys.keyPrefix}analytics:items`);
    assert.equal(Number(totals.orders), BURST, 'each order counted once');
    assert.equal(Number(totals.quantity), (BURST * (BURST + 1)) / 2);
    assert.equal(Object.keys(items).length, BURST);
  } finally {
    redis.disconnect();
  }
});

test('at run time: set and off through the CLI and the endpoint; refusals coded', async () => {
  const set = await cli('autoscale', 'set', 'notification=1..3');
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /^notification: 1\.\.3 replicas, now 1/m);
  const off = await cli('autoscale', 'off', 'notification', '--json');
  assert.equal(off.code, 0, off.stderr);
  assert.deepEqual((JSON.parse(off.stdout) as View).services, { processing: { min: 1, max: 2 } });

  const bad = await cli('autoscale', 'set', 'api=1..2');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /cannot autoscale "api": one of processing, notification, analytics/);
  const words = await cli('autoscale', 'set', 'processing=3');
  assert.equal(words.code, 2);
  assert.match(words.stderr, /write <service>=<min>\.\.<max>/);
  const res = await fetch(`${sys.adminUrl}/autoscale`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ service: 'processing', min: 3, max: 2 }),
  });
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as { code: string }).code, 'ERR_BAD_BOUNDS');
  const text = await fetch(`${sys.adminUrl}/autoscale`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ service: 'processing', min: 1, max: 3 }),
  });
  assert.equal(text.status, 403);
  assert.deepEqual((await view()).services, { processing: { min: 1, max: 2 } });
});
