import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { breakerReadingsOf, callsOf } from '../../src/ui/model/calls.js';
import { dbLabelOf, dbWorkUnder, poolConnectOf, traceDbWork } from '../../src/ui/model/db-span.js';
import { buildServiceMap } from '../../src/ui/model/service-map.js';
import { buildTraceModel } from '../../src/ui/model/trace.js';
import { STOCK_SCHEMA, orderTrace, orders } from '../helpers/db-traces.js';
import { drawTrace, drawTraces } from '../helpers/draw-trace.js';

describe('synchronous calls of a trace', () => {
  test('an HTTP client span with a server child in another service, and each statement', () => {
    const trace = orderTrace(1, { atUs: 0, nPlusOne: 3, newConnection: true });
    const calls = callsOf(trace);
    const http = calls.filter((c) => c.kind === 'http');
    assert.deepEqual(
      http.map((c) => [c.fromService, c.to, c.operation]),
      [['processing-service', 'inventory-service', 'POST /reservations']],
    );
    assert.equal(
      http[0]!.durationUs,
      trace.spans.find((s) => s.operationName === 'POST')!.duration,
    );
    const db = calls.filter((c) => c.kind === 'database');
    // BEGIN, INSERT, 3 reads, lookup, UPDATE, COMMIT; connecting (pg.connect) is no statement.
    assert.equal(db.length, 8);
    assert.ok(db.every((c) => c.fromService === 'inventory-service' && c.to === 'postgresql'));
    assert.deepEqual(
      [...new Set(db.map((c) => c.operation))],
      ['BEGIN', 'INSERT', 'SELECT', 'UPDATE', 'COMMIT'],
    );
  });

  test('a client span without a traced server, or into its own service, is no edge', () => {
    const trace = drawTrace(`
GET /x            | a-service | server |[=====]
  GET             | a-service | client | [==]
  GET             | a-service | client |   [=]
    GET /internal | a-service | server |   []
`);
    assert.deepEqual(callsOf(trace), []);
  });
});

describe('the service map with calls', () => {
  test('one edge per caller and callee with its rate and latency; databases as nodes', () => {
    const traces = orders(1, 20, 3_000_000);
    const map = buildServiceMap([], [], traces.flatMap(callsOf));
    const http = map.calls.find((c) => c.kind === 'http')!;
    assert.equal(http.count, 20);
    // 20 calls over 57 s: the window is a minute at least.
    assert.equal(http.perMinute, 20);
    assert.equal(http.latencyP50Us, http.latencyP95Us);
    assert.equal(http.errorRate, 0);
    assert.deepEqual(map.databases, ['postgresql']);
    assert.deepEqual([...map.services].sort(), ['inventory-service', 'processing-service']);
    const db = map.calls.find((c) => c.kind === 'database')!;
    assert.equal(db.count, 20 * 6);
    assert.equal(db.operations[0], 'SELECT');
  });
});

describe("the service map's call policy figures", () => {
  test('attempts per order from the calls per trace; the breaker as last seen, a refusal included', () => {
    const traces = drawTraces(`
trace t1
process orders        | processing-service | consumer |[=================]
  POST                | processing-service | client   | [==]                tracelab.circuit_breaker.state=closed
    POST /reservations | inventory-service | server   | [=]                 http.route=/reservations http.request.method=POST
  POST                | processing-service | client   |      [==]           tracelab.circuit_breaker.state=closed http.request.resend_count=1
    POST /reservations | inventory-service | server   |      [=]            http.route=/reservations http.request.method=POST
trace t2
process orders        | processing-service | consumer |                       [=]  tracelab.circuit_breaker.state=open
trace t3
process orders        | processing-service | consumer |  [====]
  POST                | processing-service | client   |  [==]               tracelab.circuit_breaker.state=closed
    POST /reservations | inventory-service | server   |  [=]                http.route=/reservations http.request.method=POST
`);
    const map = buildServiceMap([], [], traces.flatMap(callsOf), traces.flatMap(breakerReadingsOf));
    const http = map.calls.find((c) => c.kind === 'http')!;
    assert.equal(http.count, 3);
    assert.equal(http.perTrace, 1.5, 'three attempts in two orders that called');
    assert.equal(http.breaker, 'open', 'the refusal is the last reading');
    const quiet = buildServiceMap([], [], traces.slice(2).flatMap(callsOf), []);
    assert.equal(quiet.calls[0]!.perTrace, 1);
    assert.equal(quiet.calls[0]!.breaker, undefined, 'no breaker seen, none shown');
  });
});

describe('database work in the trace page', () => {
  const model = buildTraceModel(orderTrace(1, { atUs: 0, nPlusOne: 6, poolWaitUs: 4000 }));
  const byName = (name: string) => model.ordered.find((n) => n.span.operationName === name)!;

  test('a pool connect: its wait; the parent: statements, the wait and the repeated statement', () => {
    assert.deepEqual(poolConnectOf(byName('pg-pool.connect')), { waitUs: 4030, openingUs: 0 });
    const work = dbWorkUnder(byName('reserve_stock'))!;
    assert.equal(work.statements, 11);
    assert.equal(work.poolWaitUs, 4030);
    assert.deepEqual(work.repeated, { statement: STOCK_SCHEMA.readRow, count: 6 });
    assert.equal(dbWorkUnder(byName('process_order')), undefined);
    // BEGIN, INSERT, 6 reads, lookup, UPDATE, COMMIT.
    assert.deepEqual(traceDbWork(model.ordered), {
      statements: 11,
      statementsUs: 80 + 300 + 6 * 250 + 300 + 300 + 80,
      poolWaitUs: 4030,
    });
  });

  test('a statement row is labelled with its statement, cut short', () => {
    assert.equal(dbLabelOf(byName('pg.query:BEGIN tracelab')), 'BEGIN');
    assert.equal(
      dbLabelOf(byName('pg.query:INSERT tracelab')),
      'INSERT INTO reservations (order_id, item_id, qu…',
    );
    assert.equal(dbLabelOf(byName('pg-pool.connect')), 'waited 4 ms for a connection');
    assert.equal(dbLabelOf(byName('reserve_stock')), undefined);
  });
});
