import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator } from 'playwright-core';
import { percentile } from '../../src/analysis/index.js';
import { startCollector } from '../../src/collector/index.js';
import type { RunningCollector } from '../../src/collector/index.js';
import type { JaegerTrace } from '../../src/model/jaeger-trace.js';
import { formatDuration } from '../../src/ui/model/format.js';
import { launchChromium, screenshot, watchedPage } from '../helpers/browser.js';
import type { WatchedPage } from '../helpers/browser.js';
import { DB_T0, STOCK_SCHEMA, hotRowQueue, orders, otlpOf } from '../helpers/db-traces.js';

/**
 * Orders through processing, which calls inventory-service synchronously over HTTP; inventory
 * runs its statements on PostgreSQL. The first six read their rows one statement each (N+1),
 * wait for a pooled connection and update one hot row 1 ms apart (lock waits); the others are
 * healthy, 20 ms apart.
 */
const TRACES: JaegerTrace[] = [
  ...hotRowQueue(1, 6, 1000, () => ({ nPlusOne: 8, poolWaitUs: 6000 })),
  ...orders(20, 14, 20_000, (k) => ({ hotRowUs: 300, newConnection: k === 0 }), 200_000),
];

/** The client span of each call from processing to inventory, as the fixture has them. */
const callUs = TRACES.map((t) => t.spans.find((s) => s.operationName === 'POST')!.duration).sort(
  (a, b) => a - b,
);

/** An attribute of each element a locator finds. */
async function attributes(l: Locator, name: string): Promise<Array<string | null>> {
  return Promise.all((await l.all()).map((e) => e.getAttribute(name)));
}

describe('web UI: a synchronous call and a database on the service map, statements in the trace', () => {
  let collector: RunningCollector;
  let browser: Browser;
  let w: WatchedPage;
  let origin: string;

  before(async () => {
    collector = await startCollector({ otlpPort: 0, httpPort: 0 });
    origin = new URL(collector.queryUrl).origin;
    // Moved to end a second ago: inside the System view's window of the last 15 minutes.
    const shiftUs = Date.now() * 1000 - DB_T0 - 1_500_000;
    const res = await fetch(collector.otlpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: otlpOf(TRACES, shiftUs),
    });
    assert.equal(res.status, 200, await res.text());
    browser = await launchChromium();
    w = await watchedPage(browser, origin);
  });

  after(async () => {
    await browser?.close();
    await collector?.close();
  });

  test('the System view draws the HTTP call solid, queues dashed, and PostgreSQL as a node', async () => {
    const { page } = w;
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.goto(`${collector.queryUrl}/system`);
    const sync = page.locator('.map-edge.call.sync');
    await sync.first().waitFor();
    assert.equal(await sync.count(), 1);
    assert.equal(await sync.getAttribute('data-from'), 'processing-service');
    assert.equal(await sync.getAttribute('data-to'), 'inventory-service');
    const lines = (await sync.locator('text').allTextContents()).map((t) => t.trim());
    assert.equal(lines[0], 'HTTP POST /reservations');
    assert.match(lines[1]!, /^\d+\.\d\/min · 20 calls$/);
    assert.equal(
      lines[2],
      `latency p50 ${formatDuration(percentile(callUs, 50))} · p95 ${formatDuration(percentile(callUs, 95))}`,
    );
    assert.equal(lines[3], 'errors 0 %');

    const db = page.locator('.map-node.database[data-database="postgresql"]');
    assert.equal(await db.count(), 1);
    const dbCall = page.locator('.map-edge.call.database[data-to="postgresql"]');
    assert.equal(await dbCall.getAttribute('data-from'), 'inventory-service');
    assert.match((await dbCall.textContent()) ?? '', /statements/);
    assert.match((await dbCall.textContent()) ?? '', /latency p50 \S+ \S+ · p95/);
    const services = await attributes(page.locator('.map-node.service'), 'data-service');
    assert.deepEqual([...services].sort(), [
      'api-service',
      'inventory-service',
      'notification-service',
      'processing-service',
    ]);

    // Solid for the call, dashed for the queues, as the legend says.
    const dash = (kind: string) =>
      page
        .evaluate(
          `getComputedStyle(document.querySelector('.map-line.${kind} path')).strokeDasharray`,
        )
        .then(String);
    assert.equal(await dash('sync'), 'none');
    assert.equal(await dash('database'), 'none');
    assert.notEqual(await dash('queue'), 'none');
    assert.match(await page.locator('.map-legend').innerText(), /synchronous call/);

    // The findings beside the map name the database problems.
    const kinds = await attributes(page.locator('.findings-panel .finding'), 'data-kind');
    for (const k of ['n-plus-one', 'pool-wait', 'lock-wait']) assert.ok(kinds.includes(k), k);
    console.log(`screenshot: ${await screenshot(page, 'system-database')}`);
  });

  test('the trace page shows the statement, its rows and the pool wait', async () => {
    const { page } = w;
    const trace = TRACES[1]!;
    await page.setViewportSize({ width: 1400, height: 1400 });
    await page.goto(`${collector.queryUrl}/trace/${trace.traceID}`);
    await page.locator('.span-row').first().waitFor();
    assert.match(
      await page.locator('.trace-header .db-facts-header dd').innerText(),
      /^14 statements, \S+ \S+ \(6 ms waiting for a connection\)$/,
    );

    const read = trace.spans.find((s) =>
      s.tags.some((t) => t.key === 'db.query.text' && t.value === STOCK_SCHEMA.readRow),
    )!;
    await page.locator(`.span-row[data-span-id="${read.spanID}"]`).click();
    const details = page.locator('.span-details');
    assert.equal(await details.locator('pre.statement').innerText(), STOCK_SCHEMA.readRow);
    assert.match(await details.locator('.db-rows').innerText(), /Rows returned\s+1/);
    assert.match(
      await details.locator('.db-call h4').innerText(),
      /postgresql · database tracelab · 127\.0\.0\.1:5432/,
    );

    console.log(`screenshot: ${await screenshot(page, 'trace-database-statement')}`);

    const connect = trace.spans.find((s) => s.operationName === 'pg-pool.connect')!;
    await page.locator(`.span-row[data-span-id="${connect.spanID}"]`).click();
    assert.match(
      await page.locator('.span-details .pool-wait.waited').innerText(),
      /^Waited 6 ms for a pooled connection\. Every connection of the pool was in use/,
    );

    console.log(`screenshot: ${await screenshot(page, 'trace-database-pool')}`);

    const reserve = trace.spans.find((s) => s.operationName === 'reserve_stock')!;
    await page.locator(`.span-row[data-span-id="${reserve.spanID}"]`).click();
    const work = await page.locator('.span-details .db-work').innerText();
    assert.match(work, /Under this span: 14 database statement\(s\) taking /);
    assert.match(work, /waited 6 ms for a pooled connection \(1 connect\)/);
    assert.match(work, /the same statement ran 8 times: SELECT quantity FROM stock/);
    console.log(`screenshot: ${await screenshot(page, 'trace-database')}`);
  });

  test('the UI asked nothing of any other origin and threw nothing', () => {
    assert.deepEqual(w.foreignRequests, []);
    assert.deepEqual(w.pageErrors, []);
    assert.deepEqual(w.dialogs, []);
  });
});
