import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { AnalysisReport } from '../../src/analysis/index.js';
import { runCli } from '../helpers/cli.js';
import { STOCK_SCHEMA, allFourProblems } from '../helpers/db-traces.js';

const TRACES = allFourProblems();

const dir = mkdtempSync(join(tmpdir(), 'tracelab-analyze-db-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'db.json');
writeFileSync(file, JSON.stringify({ data: TRACES }));

describe('tracelab analyze names the database problems next to the other findings', () => {
  test('text: the four findings with their figures, and the statements table', async () => {
    const r = await runCli(['analyze', '--file', file]);
    assert.equal(r.code, 0, r.stderr);
    const findings = r.stdout.slice(r.stdout.indexOf('\nFindings\n'));
    assert.match(
      findings,
      /\n! {2}N\+1 queries in inventory-service: `SELECT quantity FROM stock WHERE item_id = \$1 AND warehouse_id = \$2` ran 8 times under one `reserve_stock` span/,
    );
    assert.match(
      findings,
      /\n! {2}inventory-service waits for a pooled database connection: 10 `pg-pool\.connect` calls waited p50 15 ms/,
    );
    assert.match(
      findings,
      /\n! {2}Lock waits in inventory-service: `UPDATE counters SET value = value \+ 1 WHERE name = \$1` ran 10 times/,
    );
    assert.match(
      findings,
      /\n! {2}Slow statement in inventory-service: `SELECT count\(\*\), sum\(delta\) FROM stock_movements .*` takes p50 40 ms against p50 /,
    );
    assert.match(
      r.stdout,
      /\nDatabase statements \(\d+; the most time in all first\)\nSERVICE +DATABASE +STATEMENT +CALLS +P50 +P99 +MAX +TOTAL +ROWS\n/,
    );
    assert.match(
      r.stdout,
      /\ninventory-service +postgresql +SELECT count\(\*\), sum\(delta\) FROM stock_movements WHERE item_id = \$1 AND… +10 +40 ms +40 ms +40 ms +400 ms +1\n/,
    );
  });

  test('--json: the database section and the findings, with their figures', async () => {
    const r = await runCli(['analyze', '--file', file, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as AnalysisReport;
    assert.deepEqual(
      report.findings
        .map((f) => f.kind)
        .filter((k) => ['n-plus-one', 'pool-wait', 'lock-wait', 'slow-statement'].includes(k)),
      ['n-plus-one', 'pool-wait', 'lock-wait', 'slow-statement'],
    );
    assert.equal(report.database.nPlusOne[0]!.statement, STOCK_SCHEMA.readRow);
    assert.equal(report.database.nPlusOne[0]!.worst.count, 8);
    assert.equal(report.database.lockWaits[0]!.statement, STOCK_SCHEMA.hotRow);
    assert.equal(report.database.slowStatements[0]!.statement, STOCK_SCHEMA.lookup);
    assert.equal(report.database.poolWaits[0]!.wait.p50Us, 15_030);
  });

  test('--html: the findings and the statements, escaped', async () => {
    const page = join(dir, 'db.html');
    const r = await runCli(['analyze', '--file', file, '--html', page]);
    assert.equal(r.code, 0, r.stderr);
    const html = readFileSync(page, 'utf8');
    assert.match(html, /N\+1 queries in inventory-service/);
    assert.match(html, /Lock waits in inventory-service/);
    assert.match(html, /<h2>Database statements<\/h2>/);
    assert.match(
      html,
      /<td>INSERT INTO reservations \(order_id, item_id, quantity, status\) VALUES \(\$1, \$2, \$3, \$4\) ON CONFLICT \(order_id\) DO NOTHING<\/td>/,
    );
    assert.match(
      html,
      /SELECT count\(\*\), sum\(delta\) FROM stock_movements WHERE item_id = \$1 AND at &gt; now\(\)/,
    );
  });
});
