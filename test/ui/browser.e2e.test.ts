import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { formatChange, formatDuration } from '../../src/ui/model/format.js';
import { launchChromium, screenshot, watchedPage } from '../helpers/browser.js';
import type { WatchedPage } from '../helpers/browser.js';
import { otlpJson, postJson } from '../collector/otlp-fixtures.js';
import { getTrace, hasAllParents, parentOf, serviceOf } from '../helpers/jaeger.js';
import type { JaegerTrace } from '../helpers/jaeger.js';
import { postOrder, startSystem, waitForCompleted } from '../helpers/system.js';
import type { RunningSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

const ATTACK = '<img src=x onerror=alert(1)>';
// In the order a trace first reaches them: inventory is called by processing, in its stage.
const SERVICES = [
  'api-service',
  'processing-service',
  'inventory-service',
  'notification-service',
  'analytics-service',
];
const TOPICS = ['orders', 'processed-orders', 'notified-orders'];

/** Waits until the trace holds the last service's work: the whole order has been traced. */
function completeTrace(sys: RunningSystem, traceId: string): Promise<JaegerTrace> {
  return waitFor(
    `trace ${traceId} complete`,
    async () => {
      const t = await getTrace(sys.queryUrl, traceId);
      const names = new Set(t?.spans.map((s) => s.operationName));
      return t &&
        names.has('analyze_order') &&
        names.has('process notified-orders') &&
        hasAllParents(t)
        ? t
        : undefined;
    },
    60_000,
    250,
  );
}

/** Each `process <topic>` span's wait since its `send <topic>` parent ended, as the spans say. */
function waitsFromSpans(trace: JaegerTrace): Map<string, number> {
  const waits = new Map<string, number>();
  for (const s of trace.spans) {
    const m = /^process (.+)$/.exec(s.operationName);
    const send = m ? parentOf(trace, s) : undefined;
    if (m && send?.operationName === `send ${m[1]}`) {
      waits.set(m[1]!, Math.max(0, s.startTime - (send.startTime + send.duration)));
    }
  }
  return waits;
}

/** Total time per operation of one service, as a stage in the comparison adds it up. */
function stageUs(trace: JaegerTrace, service: string, operation: string): number {
  return trace.spans
    .filter((s) => s.operationName === operation && serviceOf(trace, s) === service)
    .reduce((sum, s) => sum + s.duration, 0);
}

describe('web UI in Chromium against a running system', () => {
  let sys: RunningSystem;
  let browser: Browser;
  let w: WatchedPage;
  let origin: string;
  let attackTrace: JaegerTrace;
  let light: JaegerTrace;
  let heavy: JaegerTrace;
  let queued: JaegerTrace;

  before(async () => {
    sys = await startSystem();
    origin = new URL(sys.queryUrl).origin;
    browser = await launchChromium();
    w = await watchedPage(browser, origin);
    const a = await postOrder(sys.apiUrl, { item: ATTACK, quantity: 2 });
    attackTrace = await completeTrace(sys, a.traceId);
    await waitForCompleted(sys.apiUrl, [a.id], 60_000);
    const l = await postOrder(sys.apiUrl, { item: 'light-one', quantity: 1 }, '?intensity=light');
    light = await completeTrace(sys, l.traceId);
    const h = await postOrder(sys.apiUrl, { item: 'heavy-one', quantity: 1 }, '?intensity=heavy');
    heavy = await completeTrace(sys, h.traceId);
    // Three heavy orders at once, then a light one: it waits in `orders` behind all three.
    const burst: Promise<unknown>[] = [];
    for (let i = 0; i < 3; i++) {
      burst.push(postOrder(sys.apiUrl, { item: `heavy-${i}`, quantity: 1 }, '?intensity=heavy'));
    }
    await Promise.all(burst);
    const q = await postOrder(
      sys.apiUrl,
      { item: 'light-queued', quantity: 1 },
      '?intensity=light',
    );
    queued = await completeTrace(sys, q.traceId);
  });

  after(async () => {
    await browser?.close();
    await sys?.stop();
  });

  test('a trace sent during the test is found by search and opens', async () => {
    const { page } = w;
    await page.goto(`${sys.queryUrl}/search?service=api-service&lookback=15m`);
    const item = page.locator(`.result[data-trace-id="${attackTrace.traceID}"]`);
    await item.waitFor();
    assert.match(
      await item.locator('.count').innerText(),
      new RegExp(`^${attackTrace.spans.length} spans$`),
    );
    assert.equal(await page.locator(`.dot[data-trace-id="${attackTrace.traceID}"]`).count(), 1);
    await screenshot(page, 'search');
    await item.locator('.result-title').click();
    await page.waitForURL(`**/trace/${attackTrace.traceID}`);
    await page.locator('.span-row').first().waitFor();
    assert.equal(
      await page.locator('.trace-header .span-count').innerText(),
      String(attackTrace.spans.length),
    );
  });

  test('the trace view shows all five services, the queue waits and the critical path', async () => {
    const { page } = w;
    await page.setViewportSize({ width: 1400, height: 2000 });
    await page.goto(`${sys.queryUrl}/trace/${attackTrace.traceID}`);
    await page.locator('.span-row').first().waitFor();
    const chips = await page.locator('.trace-header .chip').allInnerTexts();
    assert.deepEqual(
      chips.map((c) => c.trim()),
      SERVICES,
    );
    for (const s of SERVICES) {
      assert.ok((await page.locator(`.span-row[data-service="${s}"]`).count()) > 0, `rows of ${s}`);
    }

    const expected = waitsFromSpans(attackTrace);
    assert.deepEqual([...expected.keys()].sort(), [...TOPICS].sort());
    const labels = await page.locator('.bar-label.with-gap').allInnerTexts();
    assert.deepEqual(
      labels.map((l) => /waited .*$/.exec(l)?.[0]).sort(),
      TOPICS.map((t) => `waited ${formatDuration(expected.get(t)!)} in ${t}`).sort(),
    );
    const waitsShown = await page
      .locator('.queue-gap')
      .all()
      .then((all) =>
        Promise.all(all.map(async (l) => Number(await l.getAttribute('data-wait-us')))),
      );
    assert.deepEqual(
      waitsShown.sort((x, y) => x - y),
      [...expected.values()].sort((x, y) => x - y),
    );

    // The path runs through every service, and ends with the span that ended last.
    for (const s of SERVICES) {
      assert.ok(
        (await page.locator(`.span-row.critical[data-service="${s}"]`).count()) > 0,
        `critical path in ${s}`,
      );
    }
    const last = [...attackTrace.spans].sort(
      (a, b) => b.startTime + b.duration - (a.startTime + a.duration),
    )[0]!;
    assert.match(
      (await page.locator(`.span-row[data-span-id="${last.spanID}"]`).getAttribute('class'))!,
      /critical/,
    );
    await screenshot(page, 'trace');
  });

  test('under the waterfall, a CPU and memory series per process over the trace', async () => {
    // The resource monitor's samples as a service exports them: OTLP metrics every 100 ms.
    // Under a process id of their own: the real processing's monitor has already exported
    // newer points for its pid, and a series takes no point older than its last.
    const start = Math.min(...attackTrace.spans.map((s) => s.startTime));
    const end = Math.max(...attackTrace.spans.map((s) => s.startTime + s.duration));
    const pid = 3_999_999;
    const times: number[] = [];
    for (let t = start - 200_000; t <= end + 200_000; t += 100_000) times.push(t);
    const points = (f: (t: number, i: number) => object) =>
      times.map((t, i) => ({ timeUnixNano: `${t}000`, ...f(t, i) }));
    const body = JSON.stringify({
      resourceMetrics: [
        {
          resource: {
            attributes: [
              { key: 'service.name', value: { stringValue: 'processing-service' } },
              { key: 'process.pid', value: { intValue: String(pid) } },
            ],
          },
          scopeMetrics: [
            {
              scope: { name: 'browser-test' },
              metrics: [
                {
                  name: 'process.cpu.utilization',
                  unit: '1',
                  gauge: { dataPoints: points((_t, i) => ({ asDouble: (i % 10) / 10 })) },
                },
                {
                  name: 'process.memory.usage',
                  unit: 'By',
                  sum: {
                    aggregationTemporality: 2,
                    dataPoints: points(() => ({ asInt: String(90 * 1024 * 1024) })),
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    const res = await fetch(sys.otlpUrl.replace(/\/v1\/traces$/, '/v1/metrics'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    assert.equal(res.status, 200, await res.text());

    const { page } = w;
    await page.goto(`${sys.queryUrl}/trace/${attackTrace.traceID}`);
    const chart = page.locator(
      `.service-resources[data-service="processing-service"] .chart[data-pid="${pid}"]`,
    );
    await chart.waitFor();
    assert.equal(Number(await chart.getAttribute('data-points')) >= times.length, true);
    assert.equal(await chart.locator('canvas').count(), 1);
    assert.match(await chart.innerText(), /CPU %/);
    assert.match(
      await page.locator('.service-resources[data-service="processing-service"] h4').innerText(),
      /workload spans shaded: \w/,
    );
    await chart.scrollIntoViewIfNeeded();
    await screenshot(page, 'resources');
  });

  test('span details: a workload span shows its CPU in % within the cores, or that it was too short to measure', async () => {
    const { page } = w;
    await page.goto(`${sys.queryUrl}/trace/${light.traceID}`);
    const work = light.spans.filter((s) => s.tags.some((t) => t.key === 'workload.operation'));
    // One per step, inventory's stock_check among them.
    assert.equal(work.length, 7);
    const seen = new Set<string>();
    for (const span of work) {
      await page.locator(`.span-row[data-span-id="${span.spanID}"]`).click();
      const details = page.locator(`.span-details[data-span-id="${span.spanID}"]`);
      await details.waitFor();
      // Each card: the attribute's name without `resource.`, then its value in words.
      const cards = new Map<string, string>();
      const all = details.locator('.resource-card');
      for (let i = 0; i < (await all.count()); i++) {
        const c = all.nth(i);
        cards.set(await c.locator('span').innerText(), await c.locator('b').innerText());
      }
      const card = (key: string) => cards.get(key);
      const measured = span.tags.find((t) => t.key === 'resource.cpu.measured')?.value;
      if (measured === false) {
        assert.equal(card('cpu.measured'), 'too short to measure', span.operationName);
        assert.equal(card('cpu.avg'), undefined, `${span.operationName}: no CPU figure`);
        seen.add('unmeasured');
      } else {
        assert.equal(measured, true, span.operationName);
        const avg = Number(/^([\d.]+) % CPU$/.exec(card('cpu.avg') ?? '')?.[1]);
        assert.ok(avg >= 0 && avg <= availableParallelism() * 100, `${span.operationName}: ${avg}`);
        assert.match(card('cpu.threads') ?? '', /^\d+ threads?$/);
        seen.add('measured');
      }
    }
    console.log(`light trace's workload spans: ${[...seen].join(' and ')}`);
    await screenshot(page, 'span-resources');
  });

  test('span values are shown as text: the attack string runs nothing', async () => {
    const { page } = w;
    // The order's item is not on its spans (store spans carry commands, not values), so a span
    // is sent whose every name is markup: service, operation, attribute key and value.
    const traceId = 'bad0bad0bad0bad0bad0bad0bad0bad0';
    const res = await postJson(
      sys.otlpUrl,
      otlpJson([
        {
          traceId,
          spanId: 'bad0bad0bad0bad0',
          name: ATTACK,
          service: ATTACK,
          startUs: Date.now() * 1000,
          attributes: { [ATTACK]: ATTACK },
        },
      ]),
    );
    assert.equal(res.status, 200);
    await page.goto(`${sys.queryUrl}/trace/${traceId}`);
    await page.locator('.span-row').first().click();
    await page.locator('.span-details').waitFor();
    assert.equal(await page.locator('.span-row .op-name').first().innerText(), ATTACK);
    assert.ok((await page.locator('.span-details').innerText()).includes(`${ATTACK}\t${ATTACK}`));
    assert.equal(await page.locator('main img').count(), 0);
    await screenshot(page, 'attack');
    await page.goto(`${sys.queryUrl}/search?service=${encodeURIComponent(ATTACK)}&lookback=15m`);
    await page.locator(`.result[data-trace-id="${traceId}"]`).waitFor();
    assert.equal(
      await page.locator('.result-title').first().innerText(),
      `${ATTACK}: ${ATTACK}bad0bad`,
    );
    assert.equal(await page.locator('main img').count(), 0);
    assert.deepEqual(w.dialogs, []);
  });

  test('download as Jaeger JSON, and open the file again', async () => {
    const { page } = w;
    await page.goto(`${sys.queryUrl}/trace/${light.traceID}`);
    await page.locator('.span-row').first().waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByText('Download JSON').click(),
    ]);
    const file = await download.path();
    const body = JSON.parse(await readFile(file, 'utf8')) as { data: JaegerTrace[] };
    assert.equal(body.data[0]!.traceID, light.traceID);
    assert.equal(body.data[0]!.spans.length, light.spans.length);
    await page.locator('.upload input[type=file]').setInputFiles(file);
    await page.waitForURL(`**/trace/${light.traceID}?file=1`);
    assert.equal(
      await page.locator('.trace-header .span-count').innerText(),
      String(light.spans.length),
    );
    assert.ok(await page.getByText('opened from a file').isVisible());
  });

  test('compare leads with the queue wait that grew, with a bar and a readable figure', async () => {
    const { page } = w;
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.goto(`${sys.queryUrl}/compare?a=${light.traceID}&b=${queued.traceID}`);
    await page.locator('table.changes tr.change').first().waitFor();
    const aWait = waitsFromSpans(light).get('orders')!;
    const bWait = waitsFromSpans(queued).get('orders')!;
    assert.ok(bWait > aWait + 50_000, `waits in orders: ${aWait} µs then ${bWait} µs`);
    const first = page.locator('table.changes tr.change').first();
    assert.equal(await first.getAttribute('data-kind'), 'queue');
    assert.equal(await first.getAttribute('data-topic'), 'orders');
    assert.equal(await first.getAttribute('data-tone'), 'worse');
    const cells = await first.locator('td').allInnerTexts();
    assert.equal(cells[1], 'waiting in orders');
    assert.equal(cells[2], formatDuration(aWait));
    assert.equal(cells[3], formatDuration(bWait));
    assert.equal(cells[4], `${formatChange(aWait, bWait)} slower`);
    assert.doesNotMatch(cells[4], /\d{4,} %/, 'no five-digit percentages');
    const bar = await first.locator('.delta-bar').boundingBox();
    assert.ok(bar && bar.width >= 100, `the widest bar: ${JSON.stringify(bar)}`);
    // Green is for a shorter critical path only: never a stage off it.
    for (const row of await page.locator('tr.change[data-tone="better"]').all()) {
      assert.doesNotMatch(await row.innerText(), /off the (critical )?path/);
    }
    await screenshot(page, 'compare');
  });

  test('compare of a light and a heavy order: business_logic slower, in red', async () => {
    const { page } = w;
    await page.goto(`${sys.queryUrl}/compare?a=${light.traceID}&b=${heavy.traceID}`);
    await page.locator('table.changes tr.change').first().waitFor();
    const aUs = stageUs(light, 'processing-service', 'business_logic');
    const bUs = stageUs(heavy, 'processing-service', 'business_logic');
    assert.ok(bUs > aUs * 1.1, `heavy business_logic ${bUs} µs vs light ${aUs} µs`);
    const row = page.locator('tr.change[data-kind="span"][data-stage="business_logic"]');
    const cells = await row.locator('td').allInnerTexts();
    assert.equal(cells[2], formatDuration(aUs));
    assert.equal(cells[3], formatDuration(bUs));
    assert.equal(cells[4], `${formatChange(aUs, bUs)} slower`);
  });

  test('the service map shows the three topics between the four services', async () => {
    const { page } = w;
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.goto(`${sys.queryUrl}/system`);
    await page.locator('.map-edge.topic').first().waitFor();
    const topics = await page
      .locator('.map-edge.topic')
      .all()
      .then((all) => Promise.all(all.map((l) => l.getAttribute('data-topic'))));
    assert.deepEqual(topics.sort(), [...TOPICS].sort());
    const services = await page
      .locator('.map-node.service')
      .all()
      .then((all) => Promise.all(all.map((l) => l.getAttribute('data-service'))));
    for (const s of SERVICES) assert.ok(services.includes(s), s);
    await screenshot(page, 'system');
  });

  test('the UI asked nothing of any other origin and threw nothing', () => {
    assert.deepEqual(w.foreignRequests, []);
    assert.deepEqual(w.pageErrors, []);
    assert.deepEqual(w.dialogs, []);
  });
});
