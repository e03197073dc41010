export { awaitCompletion } from './completion.js';
export type { Completion, CompletionProgress } from './completion.js';
export { runLoad } from './generator.js';
export type { LoadProgress, LoadRun, OrderTemplate, RequestOutcome } from './generator.js';
export type { LatencySummary } from './histogram.js';
export { buildReport, formatReport, formatRows } from './report.js';
export type { CompletionResult, LoadReport } from './report.js';
export { describePlan, formatMs, plannedSendTimesMs } from './schedule.js';
export type { LoadPlan } from './schedule.js';
