import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { analyzeTraces } from '../../src/analysis/index.js';
import type { AnalysisReport, Finding } from '../../src/analysis/index.js';
import type { JaegerTrace } from '../../src/model/jaeger-trace.js';

/** Traces recorded from the real PostgreSQL and pg's instrumentation (test/fixtures/README.md). */
function recorded(name: string): AnalysisReport {
  const file = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'pg', `${name}.json.gz`);
  const { data } = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as {
    data: JaegerTrace[];
  };
  return analyzeTraces(data);
}

const DB_KINDS: ReadonlyArray<Finding['kind']> = [
  'n-plus-one',
  'pool-wait',
  'slow-statement',
  'lock-wait',
];
const dbFindings = (r: AnalysisReport) => r.findings.filter((f) => DB_KINDS.includes(f.kind));

describe('recorded reservations on a real PostgreSQL', () => {
  test('healthy: statements counted, nothing named (the first connects and stalls of a busy machine are no pattern)', () => {
    const r = recorded('healthy');
    assert.deepEqual(dbFindings(r), []);
    assert.ok(r.database.statements.length >= 8);
    assert.ok(r.database.statements.every((s) => s.system === 'postgresql'));
    // pg's pool connect and connection spans carry db.system.name but are no statements.
    assert.ok(r.database.statements.every((s) => !/connect/.test(s.statement)));
    assert.equal(r.database.poolWaits[0]!.connects, 30);
  });

  test('N+1: eight reads of one row each under each reservation', () => {
    const [f, ...more] = dbFindings(recorded('nplusone'));
    assert.equal(more.length, 0);
    assert.equal(f!.kind, 'n-plus-one');
    assert.match(
      String(f!.figures.statement),
      /^SELECT .* FROM stock WHERE item_id = \$1 AND warehouse_id = \$2$/,
    );
    assert.equal(f!.figures.count, 8);
    assert.equal(f!.figures.parents, 20);
  });

  test('a pool of one connection for six reservations at a time: waiting for it', () => {
    const [f, ...more] = dbFindings(recorded('pool'));
    assert.equal(more.length, 0);
    assert.equal(f!.kind, 'pool-wait');
    assert.ok((f!.figures.share as number) > 0.5, String(f!.figures.share));
  });

  test('eight reservations at a time on one hot row: lock waits on its UPDATE', () => {
    const [f, ...more] = dbFindings(recorded('lock'));
    assert.equal(more.length, 0);
    assert.equal(f!.kind, 'lock-wait');
    assert.equal(
      f!.figures.statement,
      "UPDATE counters SET value = value + 1 WHERE name = 'reservations'",
    );
    assert.ok((f!.figures.stretched as number) >= 10);
  });

  test('the lookup without its index: a slow statement', () => {
    const [f, ...more] = dbFindings(recorded('slow'));
    assert.equal(more.length, 0);
    assert.equal(f!.kind, 'slow-statement');
    assert.equal(f!.figures.slowKind, 'slower-than-others');
    assert.match(String(f!.figures.statement), /FROM stock_movements WHERE item_id = \$1/);
  });
});
