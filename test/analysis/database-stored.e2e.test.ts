import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { analyzeTraces } from '../../src/analysis/index.js';
import type { AnalysisReport } from '../../src/analysis/index.js';
import { startCollector, storedTraceReader } from '../../src/collector/index.js';
import type { RunningCollector } from '../../src/collector/index.js';
import { DB_T0, allFourProblems, otlpOf } from '../helpers/db-traces.js';

// The collector analyses its stored spans itself (`tracelab collector`, `analyze --url`): the
// database attributes must reach the analysis through its reader as through Jaeger's JSON.
let collector: RunningCollector;
before(async () => {
  collector = await startCollector({
    otlpPort: 0,
    httpPort: 0,
    analyze: (traces, options) => analyzeTraces(traces, options, storedTraceReader),
  });
});
after(() => collector?.close());

test('the collector names the database problems from its stored spans, as from a file', async () => {
  const traces = allFourProblems();
  const res = await fetch(collector.otlpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: otlpOf(traces, Date.now() * 1000 - DB_T0 - 3_000_000),
  });
  assert.equal(res.status, 200, await res.text());
  const answer = await fetch(`${collector.queryUrl}/api/tracelab/analysis?lookback=15m`);
  assert.equal(answer.status, 200);
  const { data } = (await answer.json()) as { data: { report: AnalysisReport } };
  const stored = data.report;
  const fromFile = analyzeTraces(traces);
  const kinds = (r: AnalysisReport) =>
    r.findings
      .filter((f) => ['n-plus-one', 'pool-wait', 'lock-wait', 'slow-statement'].includes(f.kind))
      .map((f) => [f.kind, f.figures.statement ?? f.figures.operation]);
  assert.equal(kinds(stored).length, 4);
  assert.deepEqual(kinds(stored), kinds(fromFile));
  assert.deepEqual(
    stored.database.statements.map((s) => [s.statement, s.duration.count, s.rowsMean]),
    fromFile.database.statements.map((s) => [s.statement, s.duration.count, s.rowsMean]),
  );
});
