import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCollector } from '../../src/collector/index.js';
import { launchChromium, watchedPage } from '../helpers/browser.js';
import { BIG, PROTO_TRACE, sendAll } from './int64-fixtures.js';

test('the web UI shows an int64 beyond 2^53 with every digit', async (t) => {
  const c = await startCollector({ otlpPort: 0, httpPort: 0 });
  t.after(() => c.close());
  await sendAll(c);
  const browser = await launchChromium();
  t.after(() => browser.close());
  const { page, pageErrors } = await watchedPage(browser, c.queryUrl);
  await page.goto(`${c.queryUrl}/trace/${PROTO_TRACE}`);
  await page.locator('.span-row').first().click();
  const tags = page.locator('table.tags').first();
  await tags.waitFor();
  const text = await tags.innerText();
  for (const digits of BIG) assert.ok(text.includes(digits), `${digits} not in ${text}`);
  assert.deepEqual(pageErrors, []);
});
