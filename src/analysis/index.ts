export { queueWaits } from './queue-wait.js';
export { criticalPath } from './critical-path.js';
export { compareTraces } from './compare.js';
export { analyzeTraces } from './report.js';
export { compareReports } from './compare-reports.js';
export { busiestUtilisation } from './busy-periods.js';
export { formatDuration, formatPercent, formatUsAsMs, ordinal } from './format.js';
export { formatChange, formatRelative, percentChange, rankChanges, verdictOf } from './changes.js';
export type {
  AnalysisWarning,
  ChangeRow,
  ChangeTone,
  CriticalPathKind,
  CriticalPathSegment,
  Microseconds,
  QueueComparison,
  QueueWait,
  RowVerdict,
  StageComparison,
  StageFigures,
  StageKey,
  TraceComparison,
  WarningCode,
  WithWarnings,
} from './types.js';
export type {
  AnalysisReport,
  AnalyzeOptions,
  ArrivalPoint,
  Bottleneck,
  BusyPeriod,
  ChangeVerdict,
  ConsumerStats,
  ConsumerVerdict,
  Finding,
  FindingKind,
  HopChange,
  HopStats,
  MessageOrderSource,
  PathStageStats,
  PeriodPoint,
  PropagationReport,
  ReportComparison,
  ResourceStats,
  Severity,
  StageChange,
  StageStats,
  TraceCriticalPath,
} from './report-types.js';
export type { Distribution } from './stats.js';
