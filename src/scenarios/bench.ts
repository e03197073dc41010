import { analyzeTraces } from '../analysis/index.js';
import type { JaegerTrace } from '../model/index.js';
import { mulberry32 } from '../workload/index.js';
import type { AdminClient } from './admin-client.js';
import { analyserAnswer } from './analyser.js';
import type { AnalyserAnswer } from './analyser.js';
import { grade } from './grade.js';
import { scenarioTraces, startScenario, stopScenario } from './run.js';
import type { ScenarioTraceSource } from './run.js';
import { traceSignals } from './signals.js';
import type { Scenario, ScenarioLoad, ScenarioTruth } from './types.js';

export interface BenchCase {
  readonly id: string;
  readonly seed: number;
  readonly truth: { readonly service: string; readonly cause: string };
  readonly analyser: AnalyserAnswer;
  readonly correct: boolean;
}

export interface BenchResult {
  readonly scenarios: readonly BenchCase[];
  /** Correct answers over cases, 0–1. */
  readonly accuracy: number;
}

/**
 * A scenario's load as the bench sends it: its orders, at a rate the seed moves by up to ±20 %
 * so timing varies between seeds; a burst stays a burst.
 */
export function benchLoad(load: ScenarioLoad, seed: number): ScenarioLoad {
  const random = mulberry32(seed);
  const orders = load.orders;
  const rate = load.ratePerSec ? load.ratePerSec * (0.8 + 0.4 * random()) : undefined;
  return {
    orders,
    ...(rate ? { ratePerSec: Math.round(rate * 100) / 100 } : {}),
    ...(load.orderIntensity ? { orderIntensity: load.orderIntensity } : {}),
  };
}

/** Item names differ between seeds, so no seed's orders look like another's. */
export const benchItem = (scenario: Scenario, seed: number): string =>
  `bench-${scenario.id}-${(mulberry32(seed)() * 0xffffffff).toString(16).padStart(8, '0').slice(0, 8)}`;

export function scoreCase(scenario: Scenario, seed: number, answer: AnalyserAnswer): BenchCase {
  const truth: ScenarioTruth = scenario.truth;
  const correct =
    answer.service !== null &&
    answer.cause !== null &&
    grade(truth, { service: answer.service, cause: answer.cause }).correct;
  return {
    id: scenario.id,
    seed,
    truth: { service: truth.service, cause: truth.cause },
    analyser: answer,
    correct,
  };
}

export function accuracyOf(cases: readonly BenchCase[]): number {
  return cases.length ? cases.filter((c) => c.correct).length / cases.length : 0;
}

export interface BenchLab {
  readonly admin: AdminClient;
  readonly apiUrl: string;
  readonly traces: ScenarioTraceSource;
}

/**
 * Sets one scenario up in the lab with the seed's load, lets the analyser answer from the
 * traces of its own time window, and switches it back (also when it failed).
 */
export async function benchCase(
  lab: BenchLab,
  scenario: Scenario,
  seed: number,
  settleMs: number,
  progress: (text: string) => void,
  /** Sees the traces the analyser read (to keep them, and score again later). */
  onTraces?: (traces: readonly JaegerTrace[]) => Promise<void>,
): Promise<BenchCase> {
  try {
    const record = await startScenario({
      admin: lab.admin,
      apiUrl: lab.apiUrl,
      traces: lab.traces,
      scenario,
      seed,
      mystery: false,
      settleMs,
      progress,
      load: benchLoad(scenario.setup.load, seed),
      item: benchItem(scenario, seed),
    });
    const traces = await scenarioTraces(lab.traces, record);
    await onTraces?.(traces);
    const answer = analyserAnswer(analyzeTraces(traces), traceSignals(traces));
    return scoreCase(scenario, seed, answer);
  } finally {
    if (await lab.admin.scenario().catch(() => null)) {
      const { problems } = await stopScenario(lab.admin);
      for (const p of problems) progress(`could not switch back: ${p}`);
    }
  }
}
