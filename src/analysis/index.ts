export { analyzeTraces } from './report.js';
export { stitchLinkedTraces, stitchedReader } from './stitch.js';
export type { StitchedTrace } from './stitch.js';
export { compareReports } from './compare-reports.js';
export { compareTraces } from './compare.js';
export { criticalPath } from './critical-path.js';
export { queueWaits } from './queue-wait.js';
export { busiestUtilisation } from './busy-periods.js';
export { percentile } from './stats.js';
export { formatDuration, formatPercent, formatUsAsMs, ordinal } from './format.js';
export { formatChange, formatRelative, percentChange, verdictOf } from './changes.js';
export type {
  ChangeRow,
  ChangeTone,
  CriticalPathSegment,
  RowVerdict,
  TraceComparison,
} from './types.js';
export type {
  AnalysisReport,
  AnalyzeOptions,
  DatabaseReport,
  Finding,
  LockWait,
  NPlusOne,
  PoolWait,
  SlowStatement,
  StatementStats,
  HopStats,
  ReportComparison,
  ResourceStats,
} from './report-types.js';
