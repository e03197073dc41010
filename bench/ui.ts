/**
 * Web UI benchmark: time to open a 5,000-span trace in headless Chromium, from navigation to
 * the waterfall painted, beside a 40-span trace for scale.
 *
 *   npm run bench:ui        (BENCH_UI_SPANS=5000 BENCH_UI_RUNS=7 by default)
 *
 * The collector runs in this process on free ports and is sent the traces over OTLP/HTTP; the
 * browser is Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH).
 */
import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { startCollector } from '../src/collector/index.js';
import { bigTrace } from './big-trace.js';

const SPANS = Number(process.env.BENCH_UI_SPANS ?? 5000);
const RUNS = Number(process.env.BENCH_UI_RUNS ?? 7);
const IN_PAGE_TIMING = `new Promise((resolve) =>
  requestAnimationFrame(() =>
    requestAnimationFrame(() => {
      const fetched = performance.getEntriesByType('resource').find((e) => e.name.includes('/api/traces/'));
      resolve({
        totalMs: performance.now(),
        fetchMs: fetched ? fetched.responseEnd - fetched.startTime : NaN,
        rows: document.querySelectorAll('.span-row').length,
      });
    }),
  ),
)`;

/** Navigation start to the waterfall's first rows painted, and the share spent fetching the trace. */
async function openTrace(
  browser: Browser,
  url: string,
  traceId: string,
): Promise<{ totalMs: number; fetchMs: number; rows: number }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    await page.goto(`${url}/trace/${traceId}`);
    await page.locator('.span-row').first().waitFor();
    // Runs in the page, after two frames: the rows are on screen by then.
    return await page.evaluate<{ totalMs: number; fetchMs: number; rows: number }>(IN_PAGE_TIMING);
  } finally {
    await page.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const collector = await startCollector({ otlpPort: 0, httpPort: 0 });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-background-networking'],
  });
  try {
    const now = Date.now();
    const sizes = [40, SPANS];
    const results: Array<{ spans: number; total: number; fetch: number; rows: number }> = [];
    for (const [i, size] of sizes.entries()) {
      const { traceId, body } = bigTrace(i, size, now - 60_000);
      const res = await fetch(collector.otlpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      if (!res.ok) throw new Error(`OTLP ingest: ${res.status} ${await res.text()}`);
      await openTrace(browser, collector.queryUrl, traceId); // warm-up: the bundle is cached after it
      const runs = [];
      const t0 = performance.now();
      for (let r = 0; r < RUNS; r++)
        runs.push(await openTrace(browser, collector.queryUrl, traceId));
      process.stderr.write(
        `  ${size} spans: ${RUNS} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
      );
      results.push({
        spans: size,
        total: median(runs.map((r) => r.totalMs)),
        fetch: median(runs.map((r) => r.fetchMs)),
        rows: runs[0]!.rows,
      });
    }
    console.log(
      `Open a trace in headless Chromium (median of ${RUNS}; navigation start to waterfall painted)`,
    );
    console.log('  spans   total ms   fetch ms   rows in DOM');
    for (const r of results) {
      console.log(
        `  ${String(r.spans).padStart(5)}   ${r.total.toFixed(0).padStart(8)}   ${r.fetch.toFixed(0).padStart(8)}   ${String(r.rows).padStart(11)}`,
      );
    }
    const [small, big] = results;
    console.log(
      `  ${SPANS} spans take ${(big!.total / small!.total).toFixed(2)}x the time of ${small!.spans}; aim: under 1000 ms`,
    );
  } finally {
    await browser.close();
    await collector.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
