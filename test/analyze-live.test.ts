import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { AnalysisReport, ReportComparison } from '../src/analysis/index.js';
import { runCli } from './helpers/cli.js';
import { getTrace, parentOf } from './helpers/jaeger.js';
import { postOrder, startSystem, waitForCompleted } from './helpers/system.js';
import { waitFor } from './helpers/wait.js';

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

/** `tracelab up` with `extra`, a burst of orders, then `tracelab analyze`. */
async function burstThenAnalyze(extra: readonly string[], analyzeArgs: readonly string[] = []) {
  const sys = await startSystem(extra);
  try {
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
    const json = await runCli([
      'analyze',
      '--url',
      sys.queryUrl,
      '--since',
      '10m',
      '--json',
      ...analyzeArgs,
    ]);
    assert.equal(json.code, 0, json.stderr);
    const text = await runCli(['analyze', '--url', sys.queryUrl, '--since', '10m', ...analyzeArgs]);
    assert.equal(text.code, 0, text.stderr);
    return { json: json.stdout, text: text.stdout, accepted };
  } finally {
    await sys.stop();
  }
}

/**
 * Processing waiting on a slow dependency (a latency fault inside its stage) with light work:
 * one replica makes the burst queue behind each wait, two replicas wait side by side. Heavy
 * CPU work would not show the gain on a small machine: one replica already uses every core.
 */
const WAITING_PROCESSING = [
  '--intensity',
  'processing=light',
  '--fault',
  'processing.latency=400ms',
];

describe('tracelab analyze on a running lab', () => {
  test('processing forced heavy, a burst of 8: processing is the bottleneck, waits grow', async () => {
    const one = await burstThenAnalyze(['--intensity', 'processing=heavy']);
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
    const one = await burstThenAnalyze(WAITING_PROCESSING);
    const base = JSON.parse(one.json) as AnalysisReport;
    assert.equal(base.propagation.orderTraces, BURST);
    assert.equal(base.hops.find((h) => h.topic === 'orders')!.wait.count, BURST);
    const baseFile = join(dir, 'one-replica.json');
    writeFileSync(baseFile, one.json);

    const two = await burstThenAnalyze(
      [...WAITING_PROCESSING, '--scale', 'processing=2'],
      ['--compare', baseFile],
    );
    const { report, comparison } = JSON.parse(two.json) as {
      report: AnalysisReport;
      comparison: ReportComparison;
    };
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
