import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium, screenshot, watchedPage } from '../helpers/browser.js';
import type { WatchedPage } from '../helpers/browser.js';
import { scenarioCli } from '../helpers/scenario.js';
import { startSystem } from '../helpers/system.js';
import type { RunningSystem } from '../helpers/system.js';

/*
 * The scenario panel against a real `tracelab up`, with the scenario started from a terminal:
 * the page shows the lab's scenario, counts hints with the CLI, and is graded by the lab.
 */
describe('the scenario panel in Chromium, sharing the scenario with the CLI', () => {
  let sys: RunningSystem;
  let browser: Browser;
  let w: WatchedPage;
  let origin: string;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  const scenario = scenarioCli(
    () => sys,
    () => env,
  );

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tracelab-panel-'));
    env = { TRACELAB_PROGRESS_FILE: join(dir, 'progress.json'), TRACELAB_ADMIN_URL: '' };
    // up's collector grades the panel's answers: its progress goes to the test's file too.
    // The lab and Chromium start side by side; either one started is stopped by after().
    const [lab, chromium] = await Promise.allSettled([startSystem([], { env }), launchChromium()]);
    if (lab.status === 'fulfilled') sys = lab.value;
    if (chromium.status === 'fulfilled') browser = chromium.value;
    if (lab.status === 'rejected') throw lab.reason;
    if (chromium.status === 'rejected') throw chromium.reason;
    origin = new URL(sys.queryUrl).origin;
    w = await watchedPage(browser, origin);
  });
  after(async () => {
    await browser?.close();
    await sys?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('with none running, the panel says how to start one', async () => {
    await w.page.goto(`${origin}/scenario`);
    await w.page.getByText('No scenario running').waitFor({ timeout: 15_000 });
    assert.match(await w.page.locator('.scenario').innerText(), /tracelab scenario start <id>/);
    await screenshot(w.page, 'scenario-none');
  });

  test('question, a hint, a wrong and a right answer with evidence; the CLI then gives hint 2', async () => {
    const start = await scenario('start', 'slow-downstream');
    assert.equal(start.code, 0, start.stderr);
    const { page } = w;
    await page.goto(`${origin}/scenario`);
    await page.getByText('Which service is slow').waitFor({ timeout: 15_000 });
    const panel = page.locator('.scenario');
    assert.match(await panel.locator('h2').innerText(), /A slow downstream\s+beginner/);
    assert.match(await panel.innerText(), /0 of 3 shown/);
    // Nothing the page was sent names the answer's cause before an answer.
    const sent = await (await fetch(`${sys.queryUrl}/api/tracelab/scenario`)).text();
    assert.doesNotMatch(sent, /explanation|truth/);
    await screenshot(page, 'scenario-question');

    await page.getByRole('button', { name: 'Show hint 1' }).click();
    await page.locator('.scenario-hints li').first().waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('.scenario-hints li').count(), 1);
    assert.match(await panel.innerText(), /1 of 3 shown/);
    const held = (await (await fetch(`${sys.adminUrl}/scenario`)).json()) as {
      scenario: { hintsShown: number };
    };
    assert.equal(held.scenario.hintsShown, 1);

    await page.locator('select[name=service]').selectOption('processing');
    await page.locator('select[name=cause]').selectOption('slow_downstream');
    await page.getByRole('button', { name: 'Answer' }).click();
    await page.locator('.scenario-result.wrong').waitFor({ timeout: 30_000 });
    assert.match(await page.locator('.scenario-result').innerText(), /Not quite\./);
    await screenshot(page, 'scenario-wrong');

    await page.locator('select[name=service]').selectOption('notification');
    await page.getByRole('button', { name: 'Answer' }).click();
    await page.locator('.scenario-result.correct').waitFor({ timeout: 30_000 });
    const result = await page.locator('.scenario-result').innerText();
    assert.match(result, /Correct\./);
    assert.match(result, /What the traces show about notification/);
    // Evidence: figures measured in the traces, and links into this UI.
    assert.ok((await page.locator('.scenario-evidence li').count()) > 0, result);
    assert.match(result, /\d+(\.\d+)? ?(ms|s)\b/);
    const href = await page
      .locator('.scenario-result .scenario-links a')
      .first()
      .getAttribute('href');
    assert.match(href ?? '', /^\/search\?service=notification-service/);
    await screenshot(page, 'scenario-correct');
    const progress = JSON.parse(await readFile(join(dir, 'progress.json'), 'utf8')) as {
      solved: string[];
    };
    assert.deepEqual(progress.solved, ['slow-downstream']);

    // One count, held by the lab: the terminal's next hint is the second.
    const h = await scenario('hint');
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, /^Hint 2 of 3: /);
    await page.getByText('2 of 3 shown').waitFor({ timeout: 10_000 });
    assert.deepEqual(w.dialogs, []);
    assert.deepEqual(w.pageErrors, []);
    assert.deepEqual(w.foreignRequests, []);
  });

  test('the answer route takes JSON from the lab own pages only, and says what a bad answer lacks', async () => {
    const url = `${sys.queryUrl}/api/tracelab/scenario/answer`;
    const foreign = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://evil.example' },
      body: JSON.stringify({ service: 'notification' }),
    });
    assert.equal(foreign.status, 403);
    assert.equal(((await foreign.json()) as { code: string }).code, 'ERR_CROSS_SITE');
    const form = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ service: 'notification' }),
    });
    assert.equal(form.status, 403);
    const bad = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'nowhere' }),
    });
    assert.equal(bad.status, 400);
    assert.match(
      ((await bad.json()) as { errors: { msg: string }[] }).errors[0]!.msg,
      /no service "nowhere"/,
    );
    const stop = await scenario('stop');
    assert.equal(stop.code, 0, stop.stderr);
    const none = await fetch(`${sys.queryUrl}/api/tracelab/scenario`);
    assert.deepEqual(((await none.json()) as { data: unknown }).data, null);
  });
});
