import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { analyzeTraces } from '../../src/analysis/index.js';
import type { AnalysisReport, Finding } from '../../src/analysis/index.js';
import type { JaegerTrace as StoredTrace } from '../../src/model/index.js';
import { runCli } from '../helpers/cli.js';
import { tag } from '../helpers/jaeger.js';
import type { JaegerTrace } from '../helpers/jaeger.js';
import {
  isPg,
  ordersThrough,
  setDatabaseFaults,
  setFaults,
  statementOf,
  switchFaults,
} from '../helpers/inventory-orders.js';
import { createSeededTestDatabase } from '../helpers/seeded-database.js';
import type { TestDatabase } from '../helpers/postgres.js';
import { startSystem } from '../helpers/system.js';
import type { RunningSystem } from '../helpers/system.js';

const INVENTORY = 'inventory-service';
const DATABASE_KINDS = ['n-plus-one', 'pool-wait', 'slow-statement', 'lock-wait'];
/** Orders in flight at once where a fault needs contention: more than a pool of 1 serves. */
const AT_ONCE = 10;

const items = (name: string, n: number) => Array.from({ length: n }, (_, i) => `${name} ${i}`);

/** The database findings a report names in inventory. */
const databaseFindings = (r: AnalysisReport): Finding[] =>
  r.findings.filter((f) => f.service === INVENTORY && DATABASE_KINDS.includes(f.kind));

/**
 * `tracelab up` on a database of its own, its workloads off so the database figures are the
 * orders' own: each inventory fault, switched on at run time, shows in the orders' traces and
 * `tracelab analyze` names it, in the window of those orders only; with no fault it names none.
 */
describe('inventory faults named by analyze', () => {
  let tdb: TestDatabase;
  let system: RunningSystem;
  /**
   * When the previous step's orders were whole: their spans all started before it, so a window
   * from there holds this step's orders only. `analyze` takes its now once it has started, later
   * than the test's, which moves the window's start later by its start-up time (over a second on
   * a busy machine): the gap before the next orders (the previous step's own `analyze`, then
   * the fault switched and read) is room for that, where a window from just before the orders
   * would lose the first of them.
   */
  let previousStepEnd = 0;

  before(async () => {
    tdb = await createSeededTestDatabase();
    system = await startSystem([
      '--database-url',
      tdb.url,
      '--workload',
      'none',
      '--workload-scale',
      '0.05',
      '--concurrency',
      String(AT_ONCE + 2),
    ]);
    // A first burst meets cold connections and code: the baseline is of a lab that has
    // served orders already, as the faults' steps are.
    await ordersThrough(system, items('warm-up', AT_ONCE));
    previousStepEnd = Date.now();
    await new Promise((r) => setTimeout(r, 2500));
  });
  after(async () => {
    await system?.stop();
    await tdb?.drop();
  });

  /**
   * Sends the orders (`atOnce` at a time), waits for their whole traces, and analyses the window
   * they fall in: from the end of the previous step's orders on.
   */
  const analysedOrders = async (
    names: readonly string[],
    atOnce = names.length,
  ): Promise<{ traces: JaegerTrace[]; report: AnalysisReport }> => {
    const from = previousStepEnd;
    const traces: JaegerTrace[] = [];
    for (let k = 0; k < names.length; k += atOnce) {
      traces.push(...(await ordersThrough(system, names.slice(k, k + atOnce))));
    }
    previousStepEnd = Date.now();
    const res = await runCli(
      ['analyze', '--url', system.queryUrl, '--since', `${Date.now() - from}ms`, '--json'],
      { timeoutMs: 30_000 },
    );
    assert.equal(res.code, 0, res.stderr);
    const report = JSON.parse(res.stdout) as AnalysisReport;
    const ids = new Set(traces.map((t) => t.traceID));
    // Its other traces are the polls of GET /order, which carry no order id.
    assert.equal(report.propagation.orderTraces, ids.size, 'the window holds these orders only');
    // The findings say their figures: kept in the test's output, to compare runs.
    for (const f of databaseFindings(report)) console.log(`${f.kind}: ${f.text}`);
    return { traces, report };
  };

  /**
   * The database finding of `kind`, its worst span in one of the orders' traces. Not named:
   * what the analysis saw of the database, to tell which figure fell short.
   */
  const named = (kind: string, traces: readonly JaegerTrace[], report: AnalysisReport) => {
    const found = databaseFindings(report).filter((f) => f.kind === kind);
    assert.equal(found.length, 1, JSON.stringify(report.database, null, 1));
    const f = found[0]!;
    const trace = traces.find((t) => t.traceID === f.figures.traceID);
    assert.ok(trace, `the finding points into one of the orders' traces`);
    assert.ok(
      trace.spans.some((s) => s.spanID === f.figures.spanID),
      'at one of its spans',
    );
    return { finding: f, trace };
  };

  /** The fault marked on inventory's stage span of each trace. */
  const marked = (traces: readonly JaegerTrace[], fault: string) => {
    for (const t of traces) {
      const stage = t.spans.find((s) => s.operationName === 'reserve_stock');
      assert.match(String(tag(stage!, 'tracelab.fault') ?? ''), new RegExp(`\\b${fault}\\b`));
    }
  };

  test('no fault: analyze names none of the four', async () => {
    // Two at a time, as the lookup's: orders that do not contend, the baseline of the steps.
    const { report } = await analysedOrders(items('baseline', AT_ONCE), 2);
    assert.deepEqual(databaseFindings(report), [], JSON.stringify(report.database, null, 1));
  });

  // Each fault is switched off without a wait: the next step's switch waits for both, and the
  // System view sends no order. The index dropped for slow_query, the longest to bring back,
  // is the last step's.
  test('n_plus_one: the repeated statement under one parent', async () => {
    await setFaults(system, 'inventory.n_plus_one=8');
    const { traces, report } = await analysedOrders(items('n plus one', 4));
    await switchFaults(system, 'inventory.n_plus_one=off');
    marked(traces, 'n_plus_one');
    const { finding, trace } = named('n-plus-one', traces, report);
    assert.ok(Number(finding.figures.count) >= 8, `${finding.figures.count} calls`);
    const repeated = trace.spans.filter(
      (s) => isPg(s) && statementOf(s) === finding.figures.statement,
    );
    assert.ok(repeated.length >= 8, `${repeated.length} such statements in the trace`);
  });

  test('db_pool=1: orders in flight wait for the one connection', async () => {
    // Waited for until inventory says it resized its pool: the previous step's switch, written
    // before, is read by then too.
    await setDatabaseFaults(system, /database pool: 1 connection/, 1, 'inventory.db_pool=1');
    // Two bursts: the System view's 15 minutes weigh this wait against every step's calls.
    const { traces, report } = await analysedOrders(items('pool', 2 * AT_ONCE), AT_ONCE);
    await switchFaults(system, 'inventory.db_pool=off');
    marked(traces, 'db_pool');
    const { finding, trace } = named('pool-wait', traces, report);
    assert.equal(finding.figures.operation, 'pg-pool.connect');
    const connect = trace.spans.find((s) => s.spanID === finding.figures.spanID)!;
    assert.equal(connect.operationName, 'pg-pool.connect');
  });

  test('lock: orders queue for the hot row', async () => {
    // db_pool going off made inventory a new pool: the burst opens its connections, whose first
    // statements are slow alike on a busy machine. The queue shows in when each UPDATE ends,
    // not in how long it took, so the waits are named all the same.
    await setFaults(system, 'inventory.lock=on');
    const { traces, report } = await analysedOrders(items('locked', AT_ONCE));
    await switchFaults(system, 'inventory.lock=off');
    marked(traces, 'lock');
    const { finding } = named('lock-wait', traces, report);
    assert.match(String(finding.figures.statement), /^UPDATE counters/);
  });

  test('slow_query: the lookup without its index', async () => {
    await setDatabaseFaults(system, /lookup index dropped/, 1, 'inventory.slow_query=on');
    // One at a time: the lesson is the one statement's plan, not a saturated server. A scan
    // beside another order's transaction takes a core from it, and on a busy machine that
    // order's statements can slow ten times over, often enough to be named slow as well.
    const { traces, report } = await analysedOrders(items('slow', 6), 1);
    await switchFaults(system, 'inventory.slow_query=off');
    marked(traces, 'slow_query');
    const { finding } = named('slow-statement', traces, report);
    assert.match(String(finding.figures.statement), /FROM stock_movements/);
  });

  test('the System view, over all the steps at once, names the waits and the N+1', async () => {
    // As the view reads them (its MAP_SEARCH): the latest traces that entered at the API,
    // analysed in the browser with the same analyzeTraces. Its 15 minutes hold every step: the
    // scanned lookups are 6 of its 60 calls there, named only when the machine is calm enough
    // for them to stand out from its usual time (analyze on their own window names them).
    const params = new URLSearchParams({ service: 'api-service', lookback: '15m', limit: '300' });
    const res = await fetch(`${system.queryUrl}/api/traces?${params.toString()}`);
    assert.equal(res.status, 200);
    const { data } = (await res.json()) as { data: StoredTrace[] };
    const report = analyzeTraces(data);
    for (const f of databaseFindings(report)) console.log(`System view, ${f.kind}: ${f.text}`);
    const kinds = new Set<string>(databaseFindings(report).map((f) => f.kind));
    for (const kind of ['n-plus-one', 'pool-wait', 'lock-wait']) {
      assert.ok(kinds.has(kind), `${kind}: ${JSON.stringify(report.database, null, 1)}`);
    }
  });
});
