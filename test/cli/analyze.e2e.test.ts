import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { AnalysisReport, ReportComparison } from '../../src/analysis/index.js';
import { runCli } from '../helpers/cli.js';
import { drawTraces } from '../helpers/draw-trace.js';

/** Four orders at once into one processing consumer that takes 4 ms each (1 column = 1 ms). */
const BURST = drawTraces(
  [0, 1, 2, 3]
    .map(
      (i) => `
trace burst${i}
POST /order        | api-service        | server   |[]  order.id=o${i}
  send orders      | api-service        | producer |[]
    process orders | processing-service | consumer |${' '.repeat(2 + 4 * i)}[===]
      process_order | processing-service |         |${' '.repeat(2 + 4 * i)}[===]  order.id=o${i}
`,
    )
    .join(''),
);
/** The same with two replicas: two at a time. */
const SCALED = drawTraces(
  [0, 1, 2, 3]
    .map(
      (i) => `
trace scaled${i}
POST /order        | api-service        | server   |[]  order.id=s${i}
  send orders      | api-service        | producer |[]
    process orders | processing-service#${(i % 2) + 1} | consumer |${' '.repeat(2 + 4 * Math.floor(i / 2))}[===]
      process_order | processing-service#${(i % 2) + 1} |         |${' '.repeat(2 + 4 * Math.floor(i / 2))}[===]  order.id=s${i}
`,
    )
    .join(''),
);

const dir = mkdtempSync(join(tmpdir(), 'tracelab-analyze-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const burstFile = join(dir, 'burst.json');
const scaledFile = join(dir, 'scaled.json');
// As Jaeger's UI downloads them: the API envelope.
writeFileSync(burstFile, JSON.stringify({ data: BURST }));
writeFileSync(scaledFile, JSON.stringify(SCALED));

describe('tracelab analyze --file', () => {
  test('prints the headline first, then the tables', async () => {
    const r = await runCli(['analyze', '--file', burstFile]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(
      lines[0],
      'processing-service is the bottleneck: each order takes 4 ms (service time), but all 4 orders arrived at once, so they queue; the 4th order waited 13 ms in `orders`.',
    );
    assert.match(
      r.stdout,
      /\nConsumers .*\nSERVICE +TOPIC .*\nprocessing-service +orders +4 +1 .* saturated\n/,
    );
    assert.match(r.stdout, /\nWait in orders by arrival order/);
    assert.match(r.stdout, /\nStages \(duration\)\n/);
    assert.match(r.stdout, /\nCritical path over 4 traces: what dominates\n/);
  });

  test('--json is the report, and a saved one is a base for --compare', async () => {
    const saved = await runCli(['analyze', '--file', burstFile, '--json']);
    assert.equal(saved.code, 0, saved.stderr);
    const report = JSON.parse(saved.stdout) as AnalysisReport;
    assert.equal(report.headline.service, 'processing-service');
    assert.deepEqual(
      report.hops[0]!.byArrival.map((p) => p.waitUs),
      [1000, 5000, 9000, 13000],
    );
    const baseFile = join(dir, 'base.json');
    writeFileSync(baseFile, saved.stdout);

    const text = await runCli(['analyze', '--file', scaledFile, '--compare', baseFile]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /Compared with .*base\.json: Mean queue wait in `orders` \(processing-service\) dropped from 7 ms to 3 ms \(−57\.1 %\)/,
    );
    assert.match(
      text.stdout,
      /\norders +processing-service +7 ms +3 ms +-4 ms +−57\.1 % +faster\n/,
    );

    const json = await runCli(['analyze', '--file', scaledFile, '--compare', baseFile, '--json']);
    const both = JSON.parse(json.stdout) as {
      report: AnalysisReport;
      comparison: ReportComparison;
    };
    assert.equal(both.report.consumers[0]!.instances, 2);
    assert.equal(both.comparison.hops[0]!.verdict, 'faster');
  });

  test('--html writes one self-contained page with the charts inline', async () => {
    const page = join(dir, 'report.html');
    const r = await runCli(['analyze', '--file', burstFile, '--html', page]);
    assert.equal(r.code, 0, r.stderr);
    const html = readFileSync(page, 'utf8');
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /processing-service is the bottleneck/);
    assert.ok((html.match(/<svg /g) ?? []).length >= 4, 'charts drawn as inline SVG');
    assert.match(html, /Wait in <code>orders<\/code> by arrival order: head-of-line blocking/);
    assert.doesNotMatch(html, /<script|<link|src="http|href="http|@import/, 'nothing fetched');
  });
});

describe('tracelab analyze: bad input and a source that is down', () => {
  test('nothing listening: a clear message and a non-zero exit, quickly', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const started = Date.now();
    const r = await runCli(['analyze', '--url', `http://127.0.0.1:${port}`]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(`cannot reach the trace query API at http://127.0.0.1:${port} \\(ECONNREFUSED\\)`),
    );
    assert.match(r.stderr, /tracelab up/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.ok(Date.now() - started < 5000, `answered in ${Date.now() - started} ms`);
  });

  test('something that is not a Jaeger query API: says so', async () => {
    const server = createServer((_req, res) => res.writeHead(404).end('Not Found'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    after(() => server.close());
    const { port } = server.address() as AddressInfo;
    const r = await runCli(['analyze', '--url', `http://127.0.0.1:${port}`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\/api\/services answered 404 with something else than Jaeger JSON/);
  });

  const cases: Array<[string, string[], RegExp]> = [
    [
      'a bad duration',
      ['--since', '5x'],
      /--since: expected a duration like 90s, 5m or 1h, got "5x"/,
    ],
    ['a missing file', ['--file', join(dir, 'nope.json')], /cannot read .*nope\.json: ENOENT/],
    [
      'a file that is not traces',
      ['--file', join(dir, 'bad.json')],
      /trace 1: spans is not a list/,
    ],
    [
      'a base that is not a report',
      ['--file', burstFile, '--compare', burstFile],
      /not a saved report/,
    ],
    [
      '--trace with --file',
      ['--trace', 'abc', '--file', burstFile],
      /give --trace or --file, not both/,
    ],
    ['--until past --since', ['--since', '1m', '--until', '2m'], /--since must reach further back/],
  ];
  writeFileSync(join(dir, 'bad.json'), '{"data":[{"traceID":"x"}]}');
  for (const [name, args, message] of cases) {
    test(name, async () => {
      const r = await runCli(['analyze', ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    });
  }
});
