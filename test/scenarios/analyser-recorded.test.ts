import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { analyzeTraces } from '../../src/analysis/index.js';
import type { JaegerTrace } from '../../src/model/jaeger-trace.js';
import { analyserAnswer, SCENARIOS, scoreCase, traceSignals } from '../../src/scenarios/index.js';

/** A resilience lesson's traces as `scenario bench --keep-traces` kept them (test/fixtures/README.md). */
function recorded(id: string): JaegerTrace[] {
  const file = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'resilience', `${id}.json.gz`);
  return (JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as { data: JaegerTrace[] })
    .data;
}

const answerFor = (traces: JaegerTrace[]) =>
  analyserAnswer(analyzeTraces(traces), traceSignals(traces));

describe('the resilience lessons, recorded on a real lab', () => {
  for (const id of ['retry-storm', 'breaker-protects', 'timeout-too-long', 'autoscaler-too-late']) {
    test(`${id}: the analyser names the truth from the traces alone`, () => {
      const scenario = SCENARIOS.find((s) => s.id === id)!;
      const answer = answerFor(recorded(id));
      assert.equal(scoreCase(scenario, 1, answer).correct, true, JSON.stringify(answer));
    });
  }

  test('retry storm: several attempts per order, most of them resends cut off unanswered', () => {
    const signals = traceSignals(recorded('retry-storm'));
    const c = signals.services.processing!.calls;
    assert.equal(c.callee, 'inventory');
    assert.ok(
      c.attempts / signals.orders >= 1.5,
      `${c.attempts} attempts, ${signals.orders} orders`,
    );
    assert.ok(c.resends >= signals.orders / 2, `${c.resends} resends`);
    // Cut off after about what an answer takes: the limit is short, the calls are many.
    assert.ok(c.unansweredMeanUs! < 3 * c.answeredP50Us!);
  });

  test('breaker: calls refused while open, and its state changes as span events', () => {
    const traces = recorded('breaker-protects');
    const c = traceSignals(traces).services.processing!.calls;
    assert.ok(c.breakerOpen > 0);
    assert.ok(c.serverErrors > 0);
    const changes = traces.flatMap((t) =>
      t.spans.flatMap((s) =>
        s.logs.filter((l) =>
          l.fields.some((f) => f.key === 'event' && f.value === 'circuit_breaker.state_change'),
        ),
      ),
    );
    assert.ok(
      changes.some((l) => l.fields.some((f) => f.key === 'to' && f.value === 'open')),
      'a change to open',
    );
  });

  test('timeout too long: the attempts cut off each held the consumer about 5 s', () => {
    const c = traceSignals(recorded('timeout-too-long')).services.processing!.calls;
    assert.ok(c.unanswered >= 1);
    assert.ok(Math.abs(c.unansweredMeanUs! - 5_000_000) < 250_000, `${c.unansweredMeanUs} µs`);
    assert.ok(c.answeredP50Us! < 500_000);
  });

  test('autoscaler too late: a second replica joined after the first had finished several', () => {
    const j = traceSignals(recorded('autoscaler-too-late')).services.processing!.joins;
    assert.equal(j.late, 1);
    assert.ok(j.finishedBefore >= 3 && j.afterUs! > 1_000_000, JSON.stringify(j));
  });
});
