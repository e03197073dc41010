import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AnalysisReport, ReportComparison } from '../../src/analysis/index.js';
import { launchChromium, screenshot, watchedPage } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { getTrace, parentOf } from '../helpers/jaeger.js';
import { postOrder, startSystem, waitForCompleted } from '../helpers/system.js';
import type { RunningSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

const BURST = 8;
const dir = mkdtempSync(join(tmpdir(), 'tracelab-analyze-live-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Every trace has reached the collector whole: analytics' workload span is in it. */
async function tracesComplete(queryUrl: string, traceIds: readonly string[]): Promise<void> {
  await waitFor(
    `${traceIds.length} traces complete in the collector`,
    async () => {
      for (const id of traceIds) {
        const t = await getTrace(queryUrl, id);
        const step = t?.spans.find((s) => s.operationName === 'data_analysis');
        if (!t || !step || !t.spans.some((s) => parentOf(t, s) === step)) return undefined;
      }
      return true;
    },
    60_000,
    500,
  );
}

/**
 * A burst of orders to a running lab, then `tracelab analyze` over the window `since`, once
 * as JSON and once as text.
 */
async function burstThenAnalyze(
  sys: RunningSystem,
  analyzeArgs: readonly string[] = [],
  since: () => string,
) {
  // One after another, each sent as soon as the last is accepted: a burst to a service that
  // takes a tenth of a second an order, in an arrival order the traces record exactly (sent
  // all at once, the send spans of one process may end in another order than the XADDs ran).
  const accepted = [];
  for (let i = 0; i < BURST; i++) {
    accepted.push(await postOrder(sys.apiUrl, { item: `burst-${i}`, quantity: 1 }));
  }
  await waitForCompleted(
    sys.apiUrl,
    accepted.map((a) => a.id),
    180_000,
  );
  await tracesComplete(
    sys.queryUrl,
    accepted.map((a) => a.traceId),
  );
  // The window read again for each run: `--since` counts back from when that run starts, and
  // the first can take seconds on a busy machine.
  const json = await runCli([
    'analyze',
    '--url',
    sys.queryUrl,
    '--since',
    since(),
    '--json',
    ...analyzeArgs,
  ]);
  assert.equal(json.code, 0, json.stderr);
  const text = await runCli(['analyze', '--url', sys.queryUrl, '--since', since(), ...analyzeArgs]);
  assert.equal(text.code, 0, text.stderr);
  return { json: json.stdout, text: text.stdout, accepted };
}

/**
 * `--since` for the traces from now on, read when the analysis runs: the window opens a
 * second before now (`--since` counts whole seconds).
 */
function fromNow(): () => string {
  const from = Date.now() - 1000;
  return () => `${Math.ceil((Date.now() - from) / 1000)}s`;
}

/** `tracelab <args>` against the lab's admin endpoint, which must take it. */
async function admin(sys: RunningSystem, args: readonly string[]): Promise<void> {
  const r = await runCli([...args, '--admin-url', sys.adminUrl]);
  assert.equal(r.code, 0, r.stderr);
}

/** The services read a switch within a second; earlier traces end well before a window opens. */
const SETTLE_MS = 2000;

/**
 * Processing waiting on a slow dependency (a latency fault inside its stage) with light work:
 * one replica makes the burst queue behind each wait, two replicas wait side by side. Heavy
 * CPU work would not show the gain on a small machine: one replica already uses every core.
 */
const WAITING_PROCESSING = {
  // Analytics light too (as the lab starts): at its random intensities it can take longer an
  // order than processing's 400 ms, and then it, not processing, is where the burst waits
  // longest.
  intensities: ['processing=light', 'analytics=light'],
  fault: 'processing.latency=400ms',
};

/**
 * Notification slowed by a 300 ms wait inside its stage, the other stages light: a burst
 * queues in `processed-orders` and nowhere else.
 */
const SLOW_NOTIFICATION = [
  '--intensity',
  'processing=light',
  '--intensity',
  'notification=light',
  '--intensity',
  'analytics=light',
  '--fault',
  'notification.latency=300ms',
];
const BURST_OF = 6;
/**
 * Far longer than a burst takes to drain (6 × 300 ms): the window's mean rate stays low, so
 * each burst is denser than chance would make it even when a busy machine spreads the API's
 * intake of the first one.
 */
const PAUSE_MS = 15_000;

interface ExerciseAnswer {
  answer: string[];
  figures: Record<string, number | string | boolean | null>;
}

/**
 * One lab for every run: it starts as the first needs it, each later run switches its
 * intensities, faults and replicas at run time and reads only its own burst's traces.
 */
describe('tracelab analyze on a running lab', () => {
  let lab: RunningSystem | undefined;
  const running = () => lab!;
  before(async () => {
    lab = await startSystem(SLOW_NOTIFICATION);
  });
  after(async () => {
    await lab?.stop();
  });

  test('notification slowed, two bursts further apart than they take to drain: analyze, the System view and exercise 3 name one bottleneck', async () => {
    const sys = running();
    const bursts: Array<Awaited<ReturnType<typeof postOrder>>[]> = [];
    for (let b = 0; b < 2; b++) {
      const accepted = await Promise.all(
        Array.from({ length: BURST_OF }, (_, i) =>
          postOrder(sys.apiUrl, { item: `burst-${b}-${i}`, quantity: 1 }),
        ),
      );
      // Completed (analytics counted them): the burst has drained from every queue.
      await waitForCompleted(
        sys.apiUrl,
        accepted.map((a) => a.id),
        120_000,
      );
      bursts.push(accepted);
      if (b === 0) await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    }
    const all = bursts.flat();
    await tracesComplete(
      sys.queryUrl,
      all.map((a) => a.traceId),
    );
    const r = await runCli(['analyze', '--url', sys.queryUrl, '--since', '10m', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as AnalysisReport;
    const summary = report.findings.map((f) => f.text).join('\n');
    assert.equal(report.propagation.orderTraces, 2 * BURST_OF, summary);

    // One verdict, in the headline and nowhere contradicted.
    assert.equal(report.bottleneck?.service, 'notification-service', summary);
    assert.equal(report.bottleneck?.topic, 'processed-orders', summary);
    assert.equal(report.headline.kind, 'bottleneck', summary);
    assert.equal(report.headline.service, 'notification-service', summary);
    assert.deepEqual(
      report.findings.filter((f) => f.kind === 'bottleneck'),
      [report.headline],
    );
    const path = report.findings.find((f) => f.kind === 'critical-path')!;
    assert.match(path.text, /`processed-orders`/, path.text);

    // Judged inside each burst: both saturated, though the window's average may not say so.
    const c = report.consumers.find((x) => x.service === 'notification-service')!;
    assert.equal(c.orderedBy, 'bus');
    assert.equal(c.verdict, 'saturated');
    assert.equal(c.busyPeriods.saturated, 2, JSON.stringify(c.busyPeriods));
    assert.equal(c.busyPeriods.worst!.messages, BURST_OF, JSON.stringify(c.busyPeriods));
    console.log(
      `notification-service: window utilisation ${c.utilisation}, worst busy period ${JSON.stringify({ ...c.busyPeriods.worst, first: undefined, last: undefined, longest: undefined })}`,
    );

    // A FIFO queue: by stream order (entry ids), each burst's waits never decrease.
    const hop = report.hops.find((h) => h.topic === 'processed-orders')!;
    assert.equal(hop.orderedBy, 'bus');
    assert.equal(hop.wait.count, 2 * BURST_OF);
    for (const burst of bursts) {
      const ids = new Set(burst.map((a) => a.traceId));
      const waits = hop.byArrival.filter((p) => ids.has(p.traceID)).map((p) => p.waitUs);
      assert.equal(waits.length, BURST_OF);
      for (let i = 1; i < waits.length; i++) {
        assert.ok(waits[i]! >= waits[i - 1]!, `waits by stream order: ${waits.join(', ')}`);
      }
    }

    // The System view analyses the same traces in the browser and draws the same verdict.
    const browser = await launchChromium();
    try {
      const { page } = await watchedPage(browser, new URL(sys.queryUrl).origin);
      await page.setViewportSize({ width: 1400, height: 1000 });
      await page.goto(`${sys.queryUrl}/system`);
      await page.locator('.findings-panel .finding').first().waitFor();
      assert.equal(
        await page.locator('.findings-panel').getAttribute('data-bottleneck'),
        'notification-service',
      );
      assert.equal(
        await page.locator('.map-edge.topic.bottleneck').getAttribute('data-topic'),
        'processed-orders',
      );
      const lines = await page.locator('.finding[data-kind="bottleneck"]').allTextContents();
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(lines[0]!, /notification-service is the bottleneck/);
      await screenshot(page, 'system-bottleneck');
    } finally {
      await browser.close();
    }

    // Exercise 3 on the same lab: ten more orders at once, the same bottleneck.
    const ex = await runCli(
      ['exercise', '3', '--json', '--api-url', sys.apiUrl, '--url', sys.queryUrl, '--settle', '2m'],
      { timeoutMs: 600_000 },
    );
    assert.equal(ex.code, 0, ex.stderr);
    const answer = JSON.parse(ex.stdout) as ExerciseAnswer;
    console.log(answer.answer.join('\n'));
    assert.equal(answer.figures.bottleneck, report.bottleneck.service);
    assert.equal(answer.figures.topic, 'processed-orders');
    assert.equal(answer.figures.lastRank, 10);
    assert.match(answer.answer[0]!, /^notification-service is the bottleneck: /);
    assert.match(
      answer.answer.at(-1)!,
      /^Analysis headline: notification-service is the bottleneck: /,
    );
  });

  test('processing forced heavy, a burst of 8: processing is the bottleneck, waits grow', async () => {
    // Analytics light (as the lab starts): at its random intensities it can take longer an
    // order than heavy processing, and then the burst waits longest for it, and it is the
    // bottleneck.
    await admin(running(), ['fault', 'clear', '--all']);
    await admin(running(), ['intensity', 'processing=heavy']);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const one = await burstThenAnalyze(running(), [], fromNow());
    const base = JSON.parse(one.json) as AnalysisReport;
    assert.equal(base.propagation.orderTraces, BURST);
    assert.equal(base.headline.kind, 'bottleneck', one.text);
    assert.equal(base.headline.service, 'processing-service', one.text);
    assert.match(
      one.text.split('\n')[0]!,
      /^processing-service is the bottleneck: each order takes .* the \d+(st|nd|rd|th) order waited .* in `orders`\.$/,
    );

    const orders = base.hops.find((h) => h.topic === 'orders')!;
    const processing = base.consumers.find((c) => c.service === 'processing-service')!;
    assert.equal(processing.verdict, 'saturated');
    assert.equal(orders.wait.count, BURST);
    assert.ok(
      orders.growth.growing,
      `wait grows with arrival order: ${JSON.stringify(orders.growth)}`,
    );
    assert.ok(
      orders.growth.slopeUsPerRank > processing.serviceTime.p50Us / 2,
      `each order waits about one service time (${processing.serviceTime.p50Us} µs) more than the one before: ${orders.growth.slopeUsPerRank} µs`,
    );
    assert.ok(
      orders.growth.longest!.rank >= BURST - 1,
      `a late order waits longest: ${JSON.stringify(orders.growth.longest)}`,
    );
    assert.deepEqual(base.propagation.splitOrders, []);
    assert.deepEqual(base.propagation.missingServices, []);
  });

  test('processing waiting on a slow dependency: two replicas cut the queue wait, compared', async () => {
    const baseFile = join(dir, 'one-replica.json');
    // Each analysis reads only its own burst: one replica, then two.
    await admin(running(), ['fault', 'clear', '--all']);
    await admin(running(), ['intensity', ...WAITING_PROCESSING.intensities]);
    await admin(running(), ['fault', 'set', WAITING_PROCESSING.fault]);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const one = await burstThenAnalyze(running(), [], fromNow());
    const base = JSON.parse(one.json) as AnalysisReport;
    assert.equal(base.propagation.orderTraces, BURST);
    assert.equal(base.hops.find((h) => h.topic === 'orders')!.wait.count, BURST);
    writeFileSync(baseFile, one.json);

    await admin(running(), ['scale', 'processing=2']);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const two = await burstThenAnalyze(running(), ['--compare', baseFile], fromNow());
    const { report, comparison } = JSON.parse(two.json) as {
      report: AnalysisReport;
      comparison: ReportComparison;
    };
    assert.equal(report.propagation.orderTraces, BURST, 'the second burst alone');
    assert.equal(report.consumers.find((c) => c.service === 'processing-service')!.instances, 2);
    const hop = comparison.hops.find((h) => h.topic === 'orders')!;
    assert.equal(hop.verdict, 'faster', JSON.stringify(hop));
    assert.ok(hop.nextMeanUs! < hop.baseMeanUs!, JSON.stringify(hop));
    assert.match(
      two.text,
      /\nCompared with .*one-replica\.json: Mean queue wait in `orders` \(processing-service\) dropped from \S+ \S+ to \S+ \S+ \(−\d+(\.\d)? %\)/,
    );
  });
});
