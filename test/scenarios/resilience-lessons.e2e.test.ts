import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeTraces } from '../../src/analysis/index.js';
import { traceSourceAt } from '../../src/cli/scenario-run.js';
import { analyserAnswer, scenarioTraces, traceSignals } from '../../src/scenarios/index.js';
import type { ScenarioRecord } from '../../src/scenarios/index.js';
import { scenarioLab } from '../helpers/scenario.js';

/**
 * Two of the resilience lessons on a real `tracelab up`, as a learner runs them: the setup
 * switched through the admin endpoint (call policies, autoscaling, an outage that ends), every
 * order completed, the analyser's answer read from the scenario's own traces, and everything
 * switched back by `stop`.
 */

// Not the 0.02 of most tests: the late autoscaler shows only when the burst of heavy orders
// outlasts the autoscaler's 6 s window on one replica. At 0.3 a heavy order still takes about
// a second of both cores of a quiet 2-core machine, so sixteen hold the backlog above 4 well
// past the window and leave the added replica orders to take; more work only lengthens the run.
const lab = scenarioLab(['--workload-scale', '0.3']);
const { scenario } = lab;
const adminGet = async <T>(path: string) =>
  (await (await fetch(`${lab.sys.adminUrl}${path}`)).json()) as T;

/** The analyser's answer over the running scenario's traces. */
async function analyserOnRunning() {
  const { scenario: record } = await adminGet<{ scenario: ScenarioRecord }>('/scenario');
  const traces = await scenarioTraces(traceSourceAt(lab.sys.queryUrl), record);
  return analyserAnswer(analyzeTraces(traces), traceSignals(traces));
}

test('breaker-protects: an outage that ends, refused fast by the breaker, every order complete, the policies switched back', async () => {
  const start = await scenario('start', 'breaker-protects');
  assert.equal(start.code, 0, start.stderr);
  const during = await adminGet<{ runtime: string[] }>('/resilience');
  assert.deepEqual([...during.runtime].sort(), [
    'backoff_ms=0',
    'breaker_failures=3',
    'breaker_pause_ms=2000',
    'retries=1',
    'timeout_ms=2000',
  ]);
  // The outage is over before the orders are: the fault is off while the scenario still runs.
  const { runtime: faultsNow } = await adminGet<{ runtime: string[] }>('/faults');
  assert.ok(!faultsNow.includes('inventory.error=1'), faultsNow.join(' '));
  // None of the three changes what another reads (answer writes only progress): side by side.
  const [answer, right, reveal] = await Promise.all([
    analyserOnRunning(),
    scenario('answer', 'inventory', '--cause', 'breaker'),
    scenario('reveal'),
  ]);
  assert.deepEqual(
    [answer.service, answer.cause],
    ['inventory', 'dependency_down'],
    answer.because,
  );

  assert.equal(right.code, 0, right.stdout + right.stderr);
  assert.match(
    reveal.stdout,
    /Set up with: inventory\.error=1 for 6 s, .*resilience breaker_failures=3/,
  );
  assert.match(reveal.stdout, /refused by the caller's open circuit breaker/);

  assert.equal((await scenario('stop')).code, 0);
  assert.deepEqual((await adminGet<{ runtime: string[] }>('/resilience')).runtime, []);
});

test('autoscaler-too-late: a replica added after the window, named by the analyser; autoscaling and replicas switched back', async () => {
  const start = await scenario('start', 'autoscaler-too-late');
  assert.equal(start.code, 0, start.stderr);
  const view = await adminGet<{
    services: Record<string, unknown>;
    tuning: Record<string, unknown>;
    events: { service: string; from: number; to: number }[];
  }>('/autoscale');
  assert.deepEqual(view.services, { processing: { min: 1, max: 3 } });
  assert.deepEqual(view.tuning, { processing: { lag: 4, windowMs: 6000 } });
  assert.ok(
    view.events.some((e) => e.service === 'processing' && e.from === 1 && e.to === 2),
    JSON.stringify(view.events),
  );
  const answer = await analyserOnRunning();
  assert.deepEqual(
    [answer.service, answer.cause],
    ['processing', 'slow_autoscaling'],
    answer.because,
  );

  assert.equal((await scenario('stop')).code, 0);
  assert.deepEqual((await adminGet<{ services: object }>('/autoscale')).services, {});
  const { replicas } = await adminGet<{ replicas: Record<string, number> }>('/replicas');
  assert.equal(replicas.processing ?? replicas['processing-service'], 1);
});
