import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeTraces } from '../../src/analysis/index.js';
import type { AnalysisReport, Finding } from '../../src/analysis/index.js';
import {
  BLOG_SCHEMA,
  STOCK_SCHEMA,
  hotRowQueue,
  orderTrace,
  orders,
  statementSpan,
} from '../helpers/db-traces.js';
import type { JaegerTrace } from '../../src/model/jaeger-trace.js';
import { snapshot } from '../helpers/draw-trace.js';

const kinds = (r: AnalysisReport) => r.findings.map((f) => f.kind);
const one = (r: AnalysisReport, kind: Finding['kind']): Finding => {
  const found = r.findings.filter((f) => f.kind === kind);
  assert.equal(found.length, 1, `one ${kind} finding in ${JSON.stringify(kinds(r))}`);
  return found[0]!;
};
const DB_KINDS = ['n-plus-one', 'pool-wait', 'slow-statement', 'lock-wait'];

describe('database calls of healthy orders', () => {
  const traces = orders(1, 12, 50_000);
  const before = snapshot(traces);
  const report = analyzeTraces(traces);

  test('every statement is counted with its time and rows, none named as a problem', () => {
    assert.deepEqual(traces, before);
    assert.deepEqual(
      report.findings.filter((f) => DB_KINDS.includes(f.kind)),
      [],
    );
    const lookup = report.database.statements.find((s) => s.statement === STOCK_SCHEMA.lookup)!;
    assert.equal(lookup.service, 'inventory-service');
    assert.equal(lookup.system, 'postgresql');
    assert.equal(lookup.operation, 'SELECT');
    assert.equal(lookup.duration.count, 12);
    assert.equal(lookup.duration.p50Us, 300);
    assert.equal(lookup.totalUs, 12 * 300);
    assert.equal(lookup.rowsMean, 1);
    const read = report.database.statements.find((s) => s.statement === STOCK_SCHEMA.readRows)!;
    assert.equal(read.rowsMean, 8);
    // BEGIN and COMMIT are statements too; their operation is their first word.
    assert.deepEqual(
      report.database.statements
        .map((s) => s.operation)
        .sort()
        .filter((o, i, a) => a.indexOf(o) === i),
      ['BEGIN', 'COMMIT', 'INSERT', 'SELECT', 'UPDATE'],
    );
    // The pool handed a connection at once: 30 µs of 12 connects, no finding.
    const pool = report.database.poolWaits[0]!;
    assert.equal(pool.operation, 'pg-pool.connect');
    assert.equal(pool.connects, 12);
    assert.equal(pool.wait.maxUs, 30);
    assert.equal(pool.callOperation, 'reserve_stock');
  });
});

describe('N+1: one statement per row under one parent', () => {
  const report = analyzeTraces(orders(1, 6, 50_000, () => ({ nPlusOne: 8 })));

  test('is named with the statement, the count under one span and the time it took', () => {
    const f = one(report, 'n-plus-one');
    assert.equal(f.service, 'inventory-service');
    assert.equal(f.figures.statement, STOCK_SCHEMA.readRow);
    assert.equal(f.figures.count, 8);
    assert.equal(f.figures.parentOperation, 'reserve_stock');
    assert.equal(f.figures.parents, 6);
    // 8 statements of 250 µs.
    assert.equal(f.figures.totalUs, 2000);
    assert.equal(
      f.text,
      `N+1 queries in inventory-service: \`${STOCK_SCHEMA.readRow}\` ran 8 times under one \`reserve_stock\` span (6 such spans, 8 times each on average), 2 ms of that span's 3.5 ms (58 %), one round trip to postgresql each; one statement for all the rows would make it one.`,
    );
    // No bottleneck among the queues: the N+1 is what the report leads with.
    assert.equal(report.headline.kind, 'n-plus-one');
  });

  test('four reads under one parent are not N+1', () => {
    const r = analyzeTraces(orders(1, 6, 50_000, () => ({ nPlusOne: 4 })));
    assert.ok(!kinds(r).includes('n-plus-one'), JSON.stringify(kinds(r)));
  });
});

describe('waiting for a pooled connection', () => {
  const report = analyzeTraces(
    orders(1, 10, 20_000, (k) => ({
      poolWaitUs: k < 2 ? 0 : 4000 + k * 1000,
      newConnection: k < 2,
    })),
  );

  test('is named with the wait and its share of the calls that asked, new connections apart', () => {
    const f = one(report, 'pool-wait');
    assert.equal(f.service, 'inventory-service');
    assert.equal(f.figures.connects, 10);
    assert.equal(f.figures.newConnections, 2);
    // Opening a new connection (1.5 ms of pg.connect) is not waiting: those two waited 30 µs.
    assert.equal(f.figures.waitMaxUs, 13_030);
    assert.equal(f.figures.callOperation, 'reserve_stock');
    // 76.3 ms waited of 95.3 ms in reserve_stock.
    assert.equal(f.figures.totalWaitUs, 76_300);
    assert.equal(f.figures.callsUs, 95_300);
    assert.equal(f.figures.share, 0.801);
    assert.match(
      f.text,
      /^inventory-service waits for a pooled database connection: 10 `pg-pool\.connect` calls waited p50 8 ms, p90 12 ms, up to 13 ms for a free connection, 76 ms in all: 80 % of the time of the `reserve_stock` calls that asked for one\./,
    );
  });
});

describe('a slow statement', () => {
  test('a statement far slower than the others is named with its p50 and the slowest call', () => {
    const report = analyzeTraces(orders(1, 8, 100_000, (k) => ({ lookupUs: 60_000 + k * 2000 })));
    const f = one(report, 'slow-statement');
    assert.equal(f.figures.statement, STOCK_SCHEMA.lookup);
    assert.equal(f.figures.slowKind, 'slower-than-others');
    assert.equal(f.figures.p50Us, 66_000);
    assert.equal(f.figures.othersP50Us, 300);
    assert.equal(f.figures.slowestUs, 74_000);
    assert.match(
      f.text,
      /takes p50 66 ms against p50 300 µs for the other postgresql statements of inventory-service \(the slowest 74 ms, 8 calls\)/,
    );
  });

  test('a statement far slower than its usual time, now and then, is named too', () => {
    const report = analyzeTraces(
      orders(1, 40, 100_000, (k) => ({ lookupUs: k % 10 === 9 ? 50_000 : 300 })),
    );
    const f = one(report, 'slow-statement');
    assert.equal(f.figures.slowKind, 'slower-than-usual');
    assert.equal(f.figures.p50Us, 300);
    assert.equal(f.figures.slowestUs, 50_000);
  });
});

test('a slow BEGIN is no slow statement: it has no work to do on the server', () => {
  // A burst of requests at once: each transaction's first statement waits for the caller's
  // event loop, 8 ms against 300 µs for the rest.
  const r = analyzeTraces(orders(1, 10, 1000, () => ({ beginUs: 8000 })));
  assert.equal(r.database.statements.find((s) => s.statement === 'BEGIN')?.duration.p50Us, 8000);
  assert.deepEqual(
    r.findings.filter((f) => DB_KINDS.includes(f.kind)),
    [],
  );
});

test('a slow COMMIT is no slow statement: its time is the log reaching the disk', () => {
  // A server with durable commits on a busy disk: 7 ms against 300 µs for the rest.
  const r = analyzeTraces(orders(1, 10, 1000, () => ({ commitUs: 7000 })));
  assert.equal(r.database.statements.find((s) => s.statement === 'COMMIT')?.duration.p50Us, 7000);
  assert.deepEqual(
    r.findings.filter((f) => DB_KINDS.includes(f.kind)),
    [],
  );
});

describe('lock waits on a hot row', () => {
  // Six orders 1 ms apart each update the hot row first and work 3 ms more holding it: each
  // UPDATE waits for the transaction before to commit, and ends as it does. Four orders far
  // apart update it alone.
  const burst = hotRowQueue(1, 6, 1000, () => ({ holdUs: 3000 }));
  const alone = orders(20, 4, 200_000, () => ({ hotRowUs: 300 }), 1_000_000);
  const report = analyzeTraces([...alone, ...burst]);

  test('name the statement, how long the queued executions waited, and how deep the queue was', () => {
    const f = one(report, 'lock-wait');
    assert.equal(f.figures.statement, STOCK_SCHEMA.hotRow);
    assert.equal(f.figures.executions, 10);
    // The first of the burst took the row at once; the five after it queued.
    assert.equal(f.figures.stretched, 5);
    assert.equal(f.figures.aloneP50Us, 300);
    // Each holds the row 4.36 ms (its UPDATE's reply, 3 ms of work, four statements), and the
    // next order came 1 ms later: the k-th waited k × 3.36 ms.
    assert.equal(f.figures.slowestUs, 17_100);
    assert.equal(f.figures.stretchedP50Us, 10_380);
    assert.equal(f.figures.totalWaitUs, 3360 * (1 + 2 + 3 + 4 + 5));
    assert.equal(f.figures.maxInFlight, 4);
    assert.match(
      f.text,
      /^Lock waits in inventory-service: `UPDATE counters SET value = value \+ 1 WHERE name = \$1` ran 10 times/,
    );
    // The stretch is explained by the lock: not named as a slow statement as well.
    assert.ok(!kinds(report).includes('slow-statement'), JSON.stringify(kinds(report)));
  });

  test('overlapping UPDATEs that do not stretch are no lock wait', () => {
    const r = analyzeTraces(orders(1, 6, 100, () => ({ hotRowUs: 400 })));
    assert.ok(!kinds(r).includes('lock-wait'), JSON.stringify(kinds(r)));
  });

  test('overlapping UPDATEs stretched as much as the rest of their transactions are no lock wait', () => {
    // A stall slows six orders in flight 15 times over, every statement alike: their UPDATEs
    // overlap and take far longer than the four calm orders' do, but no transaction lets them go.
    const r = analyzeTraces([
      ...alone,
      ...orders(1, 6, 1000, () => ({ hotRowUs: 300, stalled: 15 })),
    ]);
    assert.ok(!kinds(r).includes('lock-wait'), JSON.stringify(r.database.lockWaits));
  });

  test('a stall that ends every UPDATE in flight as one transaction commits is no lock wait', () => {
    // Five UPDATEs, 100 µs apart, all end at the moment the first order commits: one release
    // of five, where a queue lets its waiters go one at a time.
    const [head] = orders(1, 1, 0, () => ({ hotRowUs: 300 }));
    const commit = head!.spans.find((s) => s.operationName.startsWith('pg.query:COMMIT'))!;
    const hotRow = (t: JaegerTrace) => statementSpan(t, STOCK_SCHEMA, 'hotRow');
    const together = [2, 3, 4, 5, 6].map((n) => {
      const atUs = (n - 1) * 100;
      const startUs = hotRow(orderTrace(n, { atUs, hotRowUs: 300 })).startTime;
      const hotRowUs = commit.startTime + commit.duration + 100 - startUs;
      return orderTrace(n, { atUs, hotRowUs });
    });
    const r = analyzeTraces([head!, ...together, ...alone]);
    const ends = new Set(together.map((t) => hotRow(t).startTime + hotRow(t).duration));
    assert.equal(ends.size, 1, 'the five UPDATEs end together');
    assert.ok(!kinds(r).includes('lock-wait'), JSON.stringify(r.database.lockWaits));
  });

  test('two transactions in step, one ending as the other waits, are no queue', () => {
    // Pairs of orders: in each, the second's UPDATE ends as the first commits, five times over:
    // what two orders a statement apart look like when a busy machine stretches them. A queue
    // needs a third that waited for one that had waited.
    const pairs = Array.from({ length: 5 }, (_, p) =>
      hotRowQueue(10 + 2 * p, 2, 100, () => ({ holdUs: 3000 }), p * 100_000),
    ).flat();
    const r = analyzeTraces([...pairs, ...alone]);
    assert.ok(!kinds(r).includes('lock-wait'), JSON.stringify(r.database.lockWaits));
  });

  test('a queue on a busy machine, where nothing ran alone and the first was slow, is named', () => {
    // Ten orders at once, every statement three times slower: the first UPDATE took 900 µs
    // and held the row while the nine others queued behind it, one after another.
    const r = analyzeTraces(hotRowQueue(2, 10, 50, () => ({ stalled: 3, holdUs: 2000 })));
    const f = one(r, 'lock-wait');
    assert.equal(f.figures.stretched, 9);
    assert.equal(f.figures.maxInFlight, 10);
  });
});

describe('detection reads the database conventions, not table names', () => {
  test('another schema, another service: the same four problems named', () => {
    const schema = BLOG_SCHEMA;
    const service = 'blog-service';
    const report = analyzeTraces([
      ...hotRowQueue(1, 6, 40_000, () => ({
        schema,
        service,
        nPlusOne: 7,
        poolWaitUs: 15_000,
        lookupUs: 40_000,
      })),
      ...orders(20, 4, 200_000, () => ({ schema, service, hotRowUs: 300, lookupUs: 40_000 }), 1e6),
    ]);
    for (const kind of DB_KINDS) {
      const f = one(report, kind as Finding['kind']);
      assert.equal(f.service, service, kind);
    }
    assert.equal(one(report, 'n-plus-one').figures.statement, schema.readRow);
    assert.equal(one(report, 'lock-wait').figures.statement, schema.hotRow);
    assert.equal(one(report, 'slow-statement').figures.statement, schema.lookup);
  });

  test('--service keeps the database findings of that service only', () => {
    const traces = orders(1, 6, 50_000, () => ({ nPlusOne: 8 }));
    assert.ok(
      kinds(analyzeTraces(traces, { service: 'inventory-service' })).includes('n-plus-one'),
    );
    const other = analyzeTraces(traces, { service: 'processing-service' });
    assert.ok(!kinds(other).includes('n-plus-one'));
    assert.deepEqual(other.database.statements, []);
  });
});
