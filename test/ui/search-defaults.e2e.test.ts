import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium, screenshot, watchedPage } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import type { JaegerTrace } from '../helpers/jaeger.js';
import { startSystem } from '../helpers/system.js';
import type { RunningSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

const ORDERS = 5;

/** Every api-service trace of the last 15 minutes, whatever its operation. */
async function apiTraces(queryUrl: string): Promise<JaegerTrace[]> {
  const res = await fetch(`${queryUrl}/api/traces?service=api-service&lookback=15m&limit=1000`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { data: JaegerTrace[] }).data;
}

/** The trace's root span: the one with no parent in it. */
const rootOf = (t: JaegerTrace) => t.spans.find((s) => s.references.length === 0)!;

describe('after `tracelab load`, search opens on the orders, and no polling was traced', () => {
  let sys: RunningSystem;
  let browser: Browser;
  let own: JaegerTrace;

  before(async () => {
    sys = await startSystem();
    browser = await launchChromium();
    const r = await runCli(
      ['load', '--url', sys.apiUrl, '--count', String(ORDERS), '--interval', '200ms'],
      { timeoutMs: 120_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${ORDERS}/${ORDERS} accepted orders reached analytics`));
    // A learner's own request, as with curl: no header, so it is traced. The API exports spans
    // in the order they end, so once this one is in, any from load's polling would be too.
    const orders = await waitFor(
      `${ORDERS} order traces`,
      async () => {
        const ts = (await apiTraces(sys.queryUrl)).filter(
          (t) => rootOf(t).operationName === 'POST /order',
        );
        return ts.length === ORDERS ? ts : undefined;
      },
      60_000,
      250,
    );
    const orderId = orders[0]!.spans.flatMap((s) => s.tags).find((t) => t.key === 'order.id')!
      .value as string;
    const res = await fetch(`${sys.apiUrl}/order/${orderId}`);
    assert.equal(res.status, 200);
    own = await waitFor(
      'the learner’s own GET traced',
      async () =>
        (await apiTraces(sys.queryUrl)).find((t) => rootOf(t).operationName !== 'POST /order'),
      30_000,
      250,
    );
  });

  after(async () => {
    await browser?.close();
    await sys?.stop();
  });

  test('the collector holds the orders and the learner’s request, nothing of the polling', async () => {
    assert.equal(rootOf(own).operationName, 'GET /order/:id');
    const roots = (await apiTraces(sys.queryUrl)).map((t) => rootOf(t).operationName).sort();
    assert.deepEqual(
      roots,
      [...Array<string>(ORDERS).fill('POST /order'), 'GET /order/:id'].sort(),
    );
  });

  test('the search page with no choices made lists the N orders', async () => {
    const origin = new URL(sys.queryUrl).origin;
    const w = await watchedPage(browser, origin);
    const { page } = w;
    await page.goto(`${sys.queryUrl}/search`);
    await waitFor(
      `${ORDERS} results`,
      async () => ((await page.locator('.result').count()) === ORDERS ? true : undefined),
      15_000,
      100,
    );
    const titles = await page.locator('.result-title').allInnerTexts();
    for (const t of titles) assert.match(t, /^api-service: POST \/order/);
    assert.equal(await page.locator(`.result[data-trace-id="${own.traceID}"]`).count(), 0);
    assert.equal(await page.locator('select[name="operation"]').inputValue(), 'POST /order');
    assert.match(
      await page.locator('.results-bar h2').innerText(),
      /for api-service · POST \/order/,
    );
    await screenshot(page, 'search');
    // "all" operations is a choice away, and lists the learner's own request too.
    await page.locator('select[name="operation"]').selectOption('');
    await page.getByRole('button', { name: 'Find traces' }).click();
    await page.locator(`.result[data-trace-id="${own.traceID}"]`).waitFor();
    assert.equal(await page.locator('.result').count(), ORDERS + 1);
    assert.deepEqual(w.pageErrors, []);
  });
});
