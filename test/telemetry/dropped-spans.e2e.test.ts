import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { decodeOtlpProtobuf } from '../../src/collector/ingest/otlp-protobuf.js';
import { DROPPED_SPANS_PATH } from '../../src/model/dropped-spans.js';
import type { DroppedSpansReport } from '../../src/model/dropped-spans.js';
import type { JaegerTrace } from '../../src/model/jaeger-trace.js';
import { launchChromium, screenshot, watchedPage } from '../helpers/browser.js';
import { postOrder, startSystem, waitForCompleted } from '../helpers/system.js';
import type { RunningSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Spans the services give up on, on real runs of `tracelab up`: a collector paused for longer
 * than an export try loses nothing (the retries arrive, the copies are stored once), and
 * spans really lost are counted exactly, on the API, in up's output and in the UI.
 */

const SERVICES = [
  'api-service',
  'processing-service',
  'notification-service',
  'analytics-service',
  'inventory-service',
];

/**
 * A trace's spans but those that open a database connection: the pool opens one for the first
 * orders only, so they are no part of an order's shape.
 */
const shapeOf = (t: JaegerTrace | undefined) =>
  t?.spans.filter((s) => s.operationName !== 'pg.connect').length;

async function droppedSpans(sys: RunningSystem): Promise<DroppedSpansReport> {
  const res = await fetch(`${sys.queryUrl}${DROPPED_SPANS_PATH}`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { data: DroppedSpansReport }).data;
}

async function trace(sys: RunningSystem, traceId: string): Promise<JaegerTrace | undefined> {
  const res = await fetch(`${sys.queryUrl}/api/traces/${traceId}`);
  if (res.status !== 200) return undefined;
  return ((await res.json()) as { data: JaegerTrace[] }).data[0];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function explain(sys: RunningSystem, err: unknown): Error {
  const tail = sys.output().split('\n').slice(-40).join('\n');
  return new Error(`${(err as Error).message}\n--- tracelab up said (last 40 lines):\n${tail}`, {
    cause: err,
  });
}

test('the collector paused past an export try: every trace arrives whole and nothing counts as dropped', async () => {
  // A try gives up after 1 s; a batch is retried for a minute.
  const sys = await startSystem([
    '--workload',
    'none',
    '--export-timeout-ms',
    '1000',
    '--export-retry-ms',
    '60000',
  ]);
  try {
    const collector = sys.pid('collector');
    // Orders before, to know a whole trace's shape: the second's, as inventory reads what it
    // keeps (the catalogue's bounds) on its first order only.
    const warm = await postOrder(sys.apiUrl, { item: 'warm-up', quantity: 1 });
    await waitForCompleted(sys.apiUrl, [warm.id]);
    const before = await postOrder(sys.apiUrl, { item: 'before-pause', quantity: 1 });
    await waitForCompleted(sys.apiUrl, [before.id]);
    const whole = await waitFor(
      'the first trace whole',
      async () => {
        const t = await trace(sys, before.traceId);
        const services = new Set(Object.values(t?.processes ?? {}).map((p) => p.serviceName));
        return SERVICES.every((s) => services.has(s)) ? t : undefined;
      },
      30_000,
      200,
    );
    await sleep(1500);
    const spansPerOrder = shapeOf(await trace(sys, before.traceId))!;
    assert.ok(spansPerOrder >= shapeOf(whole)!);

    process.kill(collector, 'SIGSTOP');
    const orders = [];
    try {
      for (let i = 0; i < 10; i++) {
        orders.push(await postOrder(sys.apiUrl, { item: `paused-${i}`, quantity: 1 }));
      }
      await waitForCompleted(
        sys.apiUrl,
        orders.map((o) => o.id),
        30_000,
      );
      // Export tries time out meanwhile (1 s each), more than one for the first batches.
      await sleep(3500);
    } finally {
      process.kill(collector, 'SIGCONT');
    }

    for (const o of orders) {
      await waitFor(
        `trace of ${o.id} whole (${spansPerOrder} spans)`,
        async () => shapeOf(await trace(sys, o.traceId)) === spansPerOrder,
        60_000,
        250,
      );
      const t = (await trace(sys, o.traceId))!;
      assert.equal(t.warnings, null, `trace ${o.traceId}: ${String(t.warnings)}`);
      // Sent more than once, stored once.
      assert.equal(new Set(t.spans.map((s) => s.spanID)).size, t.spans.length);
    }
    // The services' counts reach the collector each second: still none.
    await sleep(2500);
    assert.deepEqual(await droppedSpans(sys), { total: 0, services: [] });
    assert.doesNotMatch(sys.output(), /dropped [\d,]+ spans|dropped spans:/);
  } catch (err) {
    throw explain(sys, err);
  } finally {
    await sys.stop();
  }
});

/**
 * Where the services send their spans: reads every request (so it knows each span sent) and
 * hangs up without an answer, as a collector that dies mid-request would.
 */
async function blackHole(): Promise<{
  url: string;
  spans: Map<string, Set<string>>;
  close(): Promise<void>;
}> {
  const spans = new Map<string, Set<string>>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      for (const s of decodeOtlpProtobuf(Buffer.concat(chunks)).spans) {
        const service = s.resource.serviceName;
        if (!spans.has(service)) spans.set(service, new Set());
        spans.get(service)!.add(`${s.traceId}/${s.spanId}`);
      }
      res.socket?.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    spans,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

test('spans the collector never got are counted exactly: on the API, in up, and in the UI', async () => {
  const hole = await blackHole();
  // Spans go where nothing is stored; the counts still reach the collector with the metrics.
  const sys = await startSystem(
    ['--workload', 'none', '--export-timeout-ms', '500', '--export-retry-ms', '2000'],
    { env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: hole.url } },
  );
  try {
    const orders = [];
    for (let i = 0; i < 5; i++) {
      orders.push(await postOrder(sys.apiUrl, { item: `lost-${i}`, quantity: 1 }));
    }
    await waitForCompleted(
      sys.apiUrl,
      orders.map((o) => o.id),
      30_000,
    );
    const lost = () => [...hole.spans.values()].reduce((n, s) => n + s.size, 0);
    // The count equals what really was lost (every span, each sent several times): it settles
    // on it once the last batch is given up on; an over- or under-count never gets there.
    const settled = () =>
      waitFor(
        'the dropped count equal to the spans lost',
        async () => {
          const r = await droppedSpans(sys);
          const perService = SERVICES.every(
            (s) => r.services.find((x) => x.service === s)?.dropped === hole.spans.get(s)?.size,
          );
          return lost() > 0 && r.total === lost() && perService ? r : undefined;
        },
        60_000,
        500,
      );
    await settled();
    // Past every retry budget (2 s) with nothing new sent: it stays there.
    await sleep(4000);
    const report = await settled();
    assert.ok(report.total >= orders.length * SERVICES.length, `${report.total} spans`);
    for (const s of report.services) {
      assert.deepEqual(
        s.reasons.map((r) => r.reason),
        ['collector unreachable'],
      );
    }
    assert.equal(await trace(sys, orders[0]!.traceId), undefined, 'nothing stored');

    // up's status line says it.
    const expected = report.services.map(
      (s) => `${s.service} ${s.dropped} (collector unreachable)`,
    );
    const line = await waitFor(
      "up's dropped-spans line",
      () =>
        sys
          .output()
          .split('\n')
          .find((l) => l.includes('dropped spans: ') && expected.every((e) => l.includes(e))),
      10_000,
      200,
    );
    assert.match(line, /^tracelab\s*\| dropped spans: /);
    for (const s of report.services) {
      assert.ok(line.includes(`${s.service} ${s.dropped} (collector unreachable)`), line);
    }

    // And the UI says it on every view.
    const browser = await launchChromium();
    try {
      const { page, pageErrors } = await watchedPage(browser, new URL(sys.queryUrl).origin);
      await page.goto(`${sys.queryUrl}/search`);
      const notice = page.locator('.dropped-spans-notice');
      await notice.waitFor({ timeout: 15_000 });
      const text = await notice.innerText();
      assert.match(text, new RegExp(`${report.total.toLocaleString('en-US')} spans lost`));
      for (const s of report.services) assert.ok(text.includes(s.service), text);
      await screenshot(page, 'dropped-spans');
      assert.deepEqual(pageErrors, []);
    } finally {
      await browser.close();
    }
  } catch (err) {
    throw explain(sys, err);
  } finally {
    await sys.stop();
    await hole.close();
  }
});
