export { SCENARIOS } from './catalogue.js';
export { describeSetup } from './describe-setup.js';
export { CAUSES, CAUSE_IDS, causeOf } from './causes.js';
export type { CauseId } from './causes.js';
export { grade, serviceOf } from './grade.js';
export { pickMystery } from './mystery.js';
export { evidenceFor } from './evidence.js';
export type { Evidence, EvidenceFigure } from './evidence.js';
export { viewLinks, viewUrl } from './links.js';
export type { Link } from './links.js';
export { adminClient, NO_RUNTIME_INTENSITIES, NO_RUNTIME_REPLICAS } from './admin-client.js';
export type { AdminClient } from './admin-client.js';
export { loadPlan, scenarioTraces, startScenario, stopScenario } from './run.js';
export type { ScenarioTraceSource, StartOptions } from './run.js';
export { markSolved, readProgress } from './progress.js';
export type { Progress } from './progress.js';
export { ScenarioError, SCENARIO_ERRORS } from './errors.js';
export type { ScenarioErrorCode } from './errors.js';
export type { Restore, ScenarioRecord } from './record.js';
export type {
  Answer,
  Grade,
  Level,
  Scenario,
  ScenarioAutoscale,
  ScenarioLoad,
  ScenarioSetup,
  ScenarioTruth,
  ScenarioView,
} from './types.js';
export { analyserAnswer, MEMORY_GROWTH_MB } from './analyser.js';
export type { AnalyserAnswer } from './analyser.js';
export { traceSignals } from './signals.js';
export type { ServiceSignals, TraceSignals } from './signals.js';
export { accuracyOf, benchCase, benchItem, benchLoad, scoreCase } from './bench.js';
export type { BenchCase, BenchLab, BenchResult } from './bench.js';
