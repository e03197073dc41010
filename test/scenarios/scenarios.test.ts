import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseFaultSetting } from '../../src/faults/index.js';
import { plannedSendTimesMs } from '../../src/load/index.js';
import { SERVICE_KINDS } from '../../src/model/index.js';
import {
  CAUSES,
  causeOf,
  describeSetup,
  evidenceFor,
  grade,
  loadPlan,
  pickMystery,
  SCENARIOS,
  serviceOf,
} from '../../src/scenarios/index.js';
import type { ScenarioTruth } from '../../src/scenarios/index.js';
import { parseAutoscale } from '../../src/supervisor/index.js';
import { INTENSITIES, parseResilienceSettings } from '../../src/workload/index.js';
import { drawTraces } from '../helpers/draw-trace.js';

const truth: ScenarioTruth = {
  service: 'notification',
  cause: 'slow_downstream',
  alsoAccepted: ['head_of_line_blocking'],
  explanation: 'notification.latency=800ms adds 800 ms to every order.',
};

describe('grading', () => {
  test('the right service and cause, by any of their names, is correct', () => {
    for (const service of ['notification', 'notification-service', ' Notification-Service ']) {
      for (const cause of [
        'slow_downstream',
        'latency',
        'Slow Downstream',
        'head_of_line_blocking',
      ]) {
        const g = grade(truth, { service, cause });
        assert.deepEqual(
          [g.correct, g.serviceCorrect, g.causeCorrect],
          [true, true, true],
          `${service} ${cause}`,
        );
        assert.match(g.explanation, /^Right: notification\.latency=800ms/);
      }
    }
  });

  test('the right service without a cause is correct; the cause is not judged', () => {
    const g = grade(truth, { service: 'notification' });
    assert.deepEqual([g.correct, g.serviceCorrect, g.causeCorrect], [true, true, null]);
  });

  test('a wrong service is wrong, and its explanation does not give the truth away', () => {
    const g = grade(truth, { service: 'processing', cause: 'slow_downstream' });
    assert.deepEqual([g.correct, g.serviceCorrect, g.causeCorrect], [false, false, true]);
    assert.match(g.explanation, /^Not processing/);
    assert.doesNotMatch(g.explanation, /notification/);
  });

  test('the right service with a wrong cause is wrong, and says which part was right', () => {
    const g = grade(truth, { service: 'notification-service', cause: 'memory_leak' });
    assert.deepEqual([g.correct, g.serviceCorrect, g.causeCorrect], [false, true, false]);
    assert.match(g.explanation, /^Right service, but not memory_leak/);
    const unknown = grade(truth, { service: 'notification', cause: 'gremlins' });
    assert.deepEqual([unknown.correct, unknown.causeCorrect], [false, false]);
    assert.match(unknown.explanation, /"gremlins" is not a cause/);
  });

  test('service names read with or without -service; others are none', () => {
    assert.equal(serviceOf('processing-service'), 'processing');
    assert.equal(serviceOf('API'), 'api');
    assert.equal(serviceOf('billing'), undefined);
    assert.equal(serviceOf('processing-service-service'), undefined);
  });
});

describe('the mystery pick', () => {
  test('the same seed picks the same scenario; seeds between them reach many', () => {
    for (const seed of [0, 1, 7, 42, 123456789]) {
      assert.equal(pickMystery(SCENARIOS, seed).id, pickMystery(SCENARIOS, seed).id);
    }
    const picked = new Set(
      Array.from({ length: 200 }, (_, seed) => pickMystery(SCENARIOS, seed).id),
    );
    assert.ok(
      picked.size >= SCENARIOS.length / 2,
      `${picked.size} distinct of ${SCENARIOS.length}`,
    );
  });
});

describe('the catalogue', () => {
  test('at least 12 scenarios with unique ids, three hints each, views and a question', () => {
    assert.ok(SCENARIOS.length >= 12, `${SCENARIOS.length}`);
    assert.equal(new Set(SCENARIOS.map((s) => s.id)).size, SCENARIOS.length);
    for (const s of SCENARIOS) {
      assert.match(s.id, /^[a-z0-9][a-z0-9-]{0,63}$/, s.id);
      assert.equal(s.hints.length, 3, s.id);
      for (const h of s.hints) assert.ok(h.length > 10, `${s.id}: ${h}`);
      assert.ok(s.question.endsWith('?'), s.id);
      assert.ok(s.views.length > 0, s.id);
    }
  });

  test("each truth names a real service, a cause of the vocabulary that the scenario's list offers", () => {
    for (const s of SCENARIOS) {
      assert.ok(SERVICE_KINDS.includes(s.truth.service), `${s.id}: ${s.truth.service}`);
      for (const c of [s.truth.cause, ...(s.truth.alsoAccepted ?? [])]) {
        assert.ok(c in CAUSES, `${s.id}: ${c}`);
      }
      assert.ok(s.causes.includes(s.truth.cause), `${s.id} does not offer its own cause`);
      assert.ok(s.truth.explanation.length > 20, s.id);
    }
  });

  test('each setup parses: faults as `tracelab fault set` reads them, intensities, replicas, load', () => {
    for (const s of SCENARIOS) {
      const { faults, intensities, replicas, load } = s.setup;
      for (const f of faults) assert.doesNotThrow(() => parseFaultSetting(f), `${s.id}: ${f}`);
      for (const [service, intensity] of Object.entries(intensities)) {
        assert.ok((SERVICE_KINDS as readonly string[]).includes(service), `${s.id}: ${service}`);
        assert.ok((INTENSITIES as readonly string[]).includes(intensity), `${s.id}: ${intensity}`);
      }
      for (const [service, n] of Object.entries(replicas)) {
        assert.ok(
          ['processing', 'notification', 'analytics'].includes(service),
          `${s.id}: ${service}`,
        );
        assert.ok(Number.isInteger(n) && n >= 1 && n <= 8, `${s.id}: ${n}`);
      }
      assert.ok(Number.isInteger(load.orders) && load.orders > 0 && load.orders <= 50, s.id);
      assert.equal(plannedSendTimesMs(loadPlan(load)).length, load.orders, s.id);
    }
  });

  test('call policies parse as `tracelab resilience set` reads them; autoscaling as up takes it; an outage ends', () => {
    for (const s of SCENARIOS) {
      const { resilience, autoscale, faultsLastMs, faults } = s.setup;
      if (resilience) {
        assert.ok(resilience.length > 0, s.id);
        assert.doesNotThrow(() => parseResilienceSettings(resilience), s.id);
      }
      if (autoscale) {
        const { service, min, max, lag, windowMs } = autoscale;
        assert.doesNotThrow(() => parseAutoscale([`${service}=${min}..${max}`]), s.id);
        for (const v of [lag, windowMs]) {
          assert.ok(v === undefined || (Number.isInteger(v) && v >= 0), `${s.id}: ${v}`);
        }
      }
      if (faultsLastMs !== undefined) {
        assert.ok(faults.length > 0 && faultsLastMs > 0, s.id);
      }
    }
    const lessons = SCENARIOS.filter((s) => s.setup.resilience || s.setup.autoscale);
    assert.deepEqual(lessons.map((s) => s.id).sort(), [
      'autoscaler-too-late',
      'breaker-protects',
      'retry-storm',
      'timeout-too-long',
    ]);
  });

  test('a setup in words names every switch it makes', () => {
    const breaker = SCENARIOS.find((s) => s.id === 'breaker-protects')!;
    assert.deepEqual(describeSetup(breaker.setup).slice(0, 2), [
      'inventory.error=1 for 6 s',
      'api intensity light',
    ]);
    assert.ok(describeSetup(breaker.setup).includes('resilience breaker_failures=3'));
    const late = SCENARIOS.find((s) => s.id === 'autoscaler-too-late')!;
    assert.deepEqual(describeSetup(late.setup).slice(-1), [
      'autoscale processing=1..3 lag 4 window 6 s',
    ]);
  });

  test("the six exercises are guided scenarios, and the issue's kinds of problem are all there", () => {
    assert.deepEqual(
      SCENARIOS.flatMap((s) => (s.exercise ? [s.exercise] : [])).sort(),
      [1, 2, 3, 4, 5, 6],
    );
    const causes = new Set(SCENARIOS.map((s) => s.truth.cause));
    for (const c of [
      'slow_downstream',
      'crash_loop',
      'poison_message',
      'memory_leak',
      'duplicate_delivery',
      'broken_propagation',
      'under_provisioned',
    ]) {
      assert.ok(causes.has(c as never), c);
    }
    assert.ok(
      SCENARIOS.some(
        (s) => s.truth.cause === 'head_of_line_blocking' && s.truth.service !== 'processing',
      ),
      'a bottleneck in a service other than processing',
    );
  });

  test('no word of the cause vocabulary names two causes', () => {
    const seen = new Map<string, string>();
    for (const [id, c] of Object.entries(CAUSES)) {
      for (const w of [id, ...c.synonyms]) {
        const k = w.toLowerCase().replace(/[\s_]+/g, '-');
        assert.ok(!seen.has(k) || seen.get(k) === id, `${w}: ${seen.get(k)} and ${id}`);
        seen.set(k, id);
        assert.equal(causeOf(w), id, w);
      }
    }
  });
});

describe('evidence', () => {
  // Two orders (a column is 1 ms); notification's stage carries a latency fault, and the
  // second order's delivery was its second, after it waited in processed-orders.
  const traces = drawTraces(`
trace t1
POST /order                   | api-service          | server   |[]  order.id=o1
  send orders                 | api-service          | producer |[]  messaging.message.id=1700000000000-1
    process orders            | processing-service   | consumer | []  tracelab.delivery_count=1
      process_order           | processing-service   |          | []  order.id=o1
        send processed-orders | processing-service   | producer | []  messaging.message.id=1700000000010-1
          process processed-orders | notification-service | consumer |  [=========]  tracelab.delivery_count=1
            notify_order      | notification-service |          |  [=========]  order.id=o1 tracelab.fault=latency tracelab.fault.latency_ms=800

trace t2
POST /order                   | api-service          | server   | []  order.id=o2
  send orders                 | api-service          | producer | []  messaging.message.id=1700000000000-2
    process orders            | processing-service   | consumer |  []  tracelab.delivery_count=1
      process_order           | processing-service   |          |  []  order.id=o2
        send processed-orders | processing-service   | producer |  []  messaging.message.id=1700000000010-2
          process processed-orders | notification-service | consumer |            [=========]  tracelab.delivery_count=2
            notify_order      | notification-service |          |            [=========]  order.id=o2 tracelab.fault=latency tracelab.fault.latency_ms=800
`);

  test('cites measured figures of the service and links to the UI', () => {
    const e = evidenceFor('notification', traces, 'http://127.0.0.1:16686/', [
      { page: 'system', look: 'the queue' },
    ]);
    assert.equal(e.service, 'notification-service');
    assert.equal(e.traces, 2);
    assert.equal(e.figures.latencyFaultMs, 800);
    assert.equal(e.figures.redeliveries, 1);
    assert.equal(e.figures.faults, 'latency×2');
    assert.ok((e.figures.queueWaitMaxUs as number) > 0);
    assert.ok((e.figures.stageP50Us as number) >= 9000, String(e.figures.stageP50Us));
    assert.ok(
      e.lines.some((l) => /^notify_order: p50 \d/.test(l)),
      e.lines.join('\n'),
    );
    assert.ok(e.lines.includes('added latency: 800 ms per order'));
    assert.ok(e.lines.includes('1 redelivery (tracelab.delivery_count ≥ 2)'));
    assert.deepEqual(
      e.links.slice(0, 2).map((l) => l.url),
      [
        'http://127.0.0.1:16686/system',
        'http://127.0.0.1:16686/search?service=notification-service&lookback=15m',
      ],
    );
    assert.ok(e.links.some((l) => l.url.startsWith('http://127.0.0.1:16686/trace/')));
  });
});
