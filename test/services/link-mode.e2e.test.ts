import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { AnalysisReport } from '../../src/analysis/index.js';
import type { JaegerChainTrace } from '../../src/model/index.js';
import { launchChromium, screenshot, watchedPage } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { getTrace, serviceOf } from '../helpers/jaeger.js';
import type { JaegerTrace } from '../helpers/jaeger.js';
import { postOrder, startSystem, waitForCompleted } from '../helpers/system.js';
import type { Accepted, RunningSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

const BURST = 6;
const dir = mkdtempSync(join(tmpdir(), 'tracelab-link-mode-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Processing slowed by a wait inside its stage, the rest light: a burst queues in `orders`,
 * so processing is the bottleneck whichever way the context travels.
 */
const SLOW_PROCESSING = [
  '--intensity',
  'processing=light',
  '--intensity',
  'notification=light',
  '--intensity',
  'analytics=light',
  '--fault',
  'processing.latency=300ms',
];

async function chainOf(queryUrl: string, traceId: string): Promise<JaegerChainTrace | undefined> {
  const res = await fetch(`${queryUrl}/api/tracelab/chain/${traceId}`);
  if (res.status === 404) return undefined;
  assert.equal(res.status, 200);
  return ((await res.json()) as { data: JaegerChainTrace[] }).data[0];
}

/**
 * The order's chain of `members` traces (1 in child mode, 4 in link mode) once analytics' last
 * step is in it and every span it refers to, parent or link, is there too: the sends and
 * receives of each hop the analysis counts, not only analytics' step.
 */
function wholeChain(queryUrl: string, traceId: string, members: number): Promise<JaegerChainTrace> {
  return waitFor(
    `the chain of ${traceId} whole`,
    async () => {
      const chain = await chainOf(queryUrl, traceId);
      if (!chain || !chain.spans.some((s) => s.operationName === 'data_analysis')) return;
      const ids = new Set(chain.spans.map((s) => s.spanID));
      const whole = chain.spans.every((s) => s.references.every((r) => ids.has(r.spanID)));
      return whole && chain.chain.length === members ? chain : undefined;
    },
    60_000,
    200,
  );
}

/** A burst, one order after another, every order completed and its traces whole. */
async function burst(sys: RunningSystem, tag: string): Promise<Accepted[]> {
  const accepted: Accepted[] = [];
  for (let i = 0; i < BURST; i++) {
    accepted.push(await postOrder(sys.apiUrl, { item: `${tag}-${i}`, quantity: 1 }));
  }
  await waitForCompleted(
    sys.apiUrl,
    accepted.map((a) => a.id),
    120_000,
  );
  return accepted;
}

async function analyze(sys: RunningSystem, extra: readonly string[] = []) {
  const r = await runCli(['analyze', '--url', sys.queryUrl, '--since', '10m', '--json', ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as AnalysisReport;
}

describe('--propagation link', () => {
  let childReport: AnalysisReport | undefined;
  // Both labs start at once, each on its own ports and key prefix: the link-mode one waits,
  // idle, while the child-mode burst runs in the other.
  let childLab: Promise<RunningSystem>;
  let linkLab: Promise<RunningSystem>;
  before(() => {
    childLab = startSystem(SLOW_PROCESSING);
    linkLab = startSystem([...SLOW_PROCESSING, '--propagation', 'link']);
    // Awaited by each test; a start that fails is that test's failure.
    childLab.catch(() => undefined);
    linkLab.catch(() => undefined);
  });
  after(async () => {
    await Promise.allSettled([childLab, linkLab].map(async (lab) => (await lab).stop()));
  });

  test('child mode (the default): one trace per order; the verdict to compare with', async () => {
    const sys = await childLab;
    try {
      const accepted = await burst(sys, 'child');
      await Promise.all(accepted.map((a) => wholeChain(sys.queryUrl, a.traceId, 1)));
      childReport = await analyze(sys);
      assert.equal(childReport.propagation.orderTraces, BURST);
      assert.equal(childReport.bottleneck?.service, 'processing-service', summary(childReport));
    } finally {
      await sys.stop();
    }
  });

  test('link mode: 4 linked traces an order, FOLLOWS_FROM, the chain whole, the same verdict, the UI', async () => {
    const sys = await linkLab;
    try {
      const accepted = await burst(sys, 'link');
      const chains = await Promise.all(accepted.map((a) => wholeChain(sys.queryUrl, a.traceId, 4)));

      const traces: JaegerTrace[] = [];
      for (const chain of chains) {
        assert.equal(chain.traceID, chain.chain[0]!.traceID);
        assert.deepEqual(
          chain.chain.map((m) => [m.serviceName, m.operationName]),
          [
            ['api-service', 'POST /order'],
            ['processing-service', 'process orders'],
            ['notification-service', 'process processed-orders'],
            ['analytics-service', 'process notified-orders'],
          ],
        );
        const parts = await Promise.all(chain.chain.map((m) => getTrace(sys.queryUrl, m.traceID)));
        traces.push(...parts.map((p) => p!));
        // Each consumer's trace: its root follows from the send span of the trace before.
        for (let i = 1; i < parts.length; i++) {
          const part = parts[i]!;
          const previous = parts[i - 1]!;
          const roots = part.spans.filter(
            (s) => !s.references.some((r) => r.refType === 'CHILD_OF'),
          );
          assert.equal(roots.length, 1, `one root in ${part.traceID}`);
          const [ref, ...more] = roots[0]!.references;
          assert.deepEqual(more, []);
          assert.equal(ref?.refType, 'FOLLOWS_FROM');
          assert.equal(ref.traceID, previous.traceID);
          const sender = previous.spans.find((s) => s.spanID === ref.spanID);
          assert.match(sender?.operationName ?? '', /^send /);
          assert.equal(serviceOf(previous, sender!), chain.chain[i - 1]!.serviceName);
        }
        // The chain holds every span of its traces, each once.
        const all = parts.flatMap((p) => p!.spans.map((s) => s.spanID)).sort();
        assert.deepEqual(chain.spans.map((s) => s.spanID).sort(), all);
        assert.equal(new Set(all).size, all.length);
      }

      const report = await analyze(sys);
      // Each order's chain is analysed as one trace: an order in four traces would count four.
      assert.equal(report.propagation.orderTraces, BURST, summary(report));
      assertSameVerdict(report, childReport);
      // The same through Jaeger's JSON (a file) as through the collector's stored analysis.
      const file = join(dir, 'link-traces.json');
      writeFileSync(file, JSON.stringify({ data: traces }));
      assertSameVerdict(await analyze(sys, ['--file', file]), childReport);

      await linkedTracesUi(sys, chains[BURST - 1]!);
    } finally {
      await sys.stop();
    }
  });
});

function summary(report: AnalysisReport): string {
  return report.findings.map((f) => f.text).join('\n');
}

function assertSameVerdict(report: AnalysisReport, child: AnalysisReport | undefined): void {
  assert.ok(child, 'the child-mode run gave its report');
  assert.equal(report.bottleneck?.service, child.bottleneck?.service, summary(report));
  assert.equal(report.bottleneck?.topic, child.bottleneck?.topic, summary(report));
  assert.equal(report.headline.kind, child.headline.kind, summary(report));
  assert.equal(report.headline.service, child.headline.service, summary(report));
  assert.deepEqual(hopsOf(report), hopsOf(child));
}

/**
 * Each hop, its services and its count of messages, by topic: the report lists hops by their
 * mean wait, and the light ones' waits (a few ms) trade places from run to run.
 */
function hopsOf(report: AnalysisReport): Array<[string, string, string, number]> {
  return report.hops
    .map((h): [string, string, string, number] => [
      h.topic,
      h.fromService,
      h.toService,
      h.wait.count,
    ])
    .sort((a, b) => a.join(' ').localeCompare(b.join(' ')));
}

/** The trace page of processing's trace lists the chain; the button opens it as one waterfall. */
async function linkedTracesUi(sys: RunningSystem, chain: JaegerChainTrace): Promise<void> {
  const browser = await launchChromium();
  try {
    const watched = await watchedPage(browser, new URL(sys.queryUrl).origin);
    const { page } = watched;
    const processing = chain.chain[1]!.traceID;
    await page.goto(`${sys.queryUrl}/trace/${processing}`);
    const panel = page.locator('.linked-traces');
    await panel.waitFor();
    assert.match(await panel.locator('h2').innerText(), /this is 2 of 4/);
    const rows = panel.locator('.chain-member');
    assert.equal(await rows.count(), 4);
    assert.match(await rows.nth(0).innerText(), /api-service: POST \/order[\s\S]*previous/);
    assert.match(
      await rows.nth(1).innerText(),
      /processing-service: process orders[\s\S]*this trace/,
    );
    assert.match(await rows.nth(3).innerText(), /analytics-service[\s\S]*next/);
    const alone = Number(await page.locator('.span-count').innerText());
    assert.equal(alone, chain.chain[1]!.spans, 'the page shows processing’s trace alone');
    await screenshot(page, 'linked-traces');

    // Another trace of the chain, by its link.
    await rows.nth(3).locator('a').click();
    await page.waitForURL(`**/trace/${chain.chain[3]!.traceID}`);
    await page.locator('.linked-traces h2', { hasText: 'this is 4 of 4' }).waitFor();

    // The page asks for the chain twice, for the waterfall and for the list of linked traces,
    // and one answer comes late, as on a loaded machine: until the waterfall's comes, the trace
    // shown now must not be drawn under the chain's title.
    let asked = 0;
    await page.route('**/api/tracelab/chain/**', async (route) => {
      if (asked++ === 1) await delay(1500);
      await route.continue();
    });
    await page.locator('.open-chain').click();
    await page.waitForURL(/\?chain=1$/);
    await page
      .locator('.linked-traces h2', { hasText: 'The whole chain: 4 linked traces' })
      .waitFor();
    assert.equal(Number(await page.locator('.span-count').innerText()), chain.spans.length);
    assert.equal(await page.locator('.trace-header .warnings').count(), 0, 'no warning: one tree');
    // One tree: processing's trace hangs under api's send span, its queue wait drawn across
    // the link; every service of the order in the legend.
    const waterfall = await page.locator('.waterfall').innerText();
    assert.match(waterfall, /process orders\n[^\n]*waited [^\n]+ in orders/);
    const legend = await page.locator('.waterfall .legend').innerText();
    for (const service of ['api', 'processing', 'inventory', 'notification', 'analytics']) {
      assert.ok(legend.includes(`${service}-service`), `${service} in the legend: ${legend}`);
    }
    await screenshot(page, 'linked-traces-chain');
    assert.deepEqual(watched.pageErrors, []);
    assert.deepEqual(watched.foreignRequests, []);
  } finally {
    await browser.close();
  }
}
