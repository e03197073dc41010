import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AnalysisReport } from '../../src/analysis/index.js';
import type { RunningCollector } from '../../src/collector/index.js';
import { runCli } from '../helpers/cli.js';
import { startCollectorsWithOrders } from './analysis-fixtures.js';

describe('tracelab analyze reads the same from a collector that analyses and one that does not', () => {
  let analysing: RunningCollector | undefined;
  let plain: RunningCollector | undefined;
  before(async () => {
    ({ analysing, plain } = await startCollectorsWithOrders());
  });
  after(async () => {
    await analysing?.close();
    await plain?.close();
  });

  test('tracelab analyze prints the same with and without the collector analysing', async () => {
    for (const extra of [[], ['--service', 'processing-service'], ['--limit', '3']]) {
      const args = ['analyze', '--since', '1h', '--json', ...extra];
      const [a, b] = await Promise.all([
        runCli([...args, '--url', analysing!.queryUrl]),
        runCli([...args, '--url', plain!.queryUrl]),
      ]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      const ra = JSON.parse(a.stdout) as AnalysisReport;
      const rb = JSON.parse(b.stdout) as AnalysisReport;
      assert.ok(ra.traces.count > 0);
      assert.deepEqual(ra, rb, extra.join(' '));
      assert.equal(a.stderr, b.stderr, 'the same notes');
      if (extra[0] === '--limit') assert.match(a.stderr, /read the --limit of 3 traces/);
    }
  });
});
