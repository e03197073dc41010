import { formatDuration, formatUsAsMs, formatRelative } from '../analysis/index.js';
import type { AnalysisReport, ReportComparison, ResourceStats } from '../analysis/index.js';

/** One table of the report, as the terminal and the HTML page both show it. */
export interface ReportTable {
  readonly head: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
  /** Index of the first numeric column, and of the last: right-aligned in the terminal. */
  readonly numeric: readonly [number, number];
}

const num = (n: number | null, digits = 1) => (n === null ? '-' : n.toFixed(digits));
const signed = (us: number | null, f: (us: number) => string) =>
  us === null ? '-' : `${us > 0 ? '+' : ''}${f(us)}`;
/** "−57.1 %", "×1,250", or '-' where a side is missing or the base too small for a ratio. */
const relative = (a: number | null, b: number | null) =>
  a === null || b === null ? '-' : (formatRelative(a, b) ?? '-');

const utilisationText = (u: number | null, saturated: boolean) =>
  u !== null ? u.toFixed(2) : saturated ? 'unbounded' : '-';

export function consumersTable(report: AnalysisReport): ReportTable {
  return {
    head: [
      'SERVICE',
      'TOPIC',
      'MESSAGES',
      'REPLICAS',
      'SERVICE TIME',
      'P50',
      'WINDOW UTIL.',
      'BUSY PERIODS',
      'WORST: MESSAGES',
      'ARRIVAL EVERY',
      'UTILISATION',
      'MAX WAIT',
      'VERDICT',
    ],
    rows: report.consumers.map((c) => {
      const w = c.busyPeriods.worst;
      return [
        c.service,
        c.topic,
        String(c.messages),
        String(c.instances),
        formatDuration(c.serviceTime.meanUs),
        formatDuration(c.serviceTime.p50Us),
        utilisationText(c.utilisation, false),
        `${c.busyPeriods.count} (${c.busyPeriods.saturated} saturated)`,
        w ? String(w.messages) : '-',
        w ? (w.utilisation === null ? 'at once' : formatDuration(w.arrivalIntervalUs ?? 0)) : '-',
        w ? utilisationText(w.utilisation, w.saturated) : '-',
        w ? formatDuration(w.wait.maxUs) : '-',
        c.verdict,
      ];
    }),
    numeric: [2, 11],
  };
}

export function hopsTable(report: AnalysisReport): ReportTable {
  return {
    head: ['TOPIC', 'FROM', 'TO', 'COUNT', 'MEAN', 'P50', 'P90', 'P99', 'MAX', 'GROWTH/ORDER', 'R'],
    rows: report.hops.map((h) => [
      h.topic,
      h.fromService,
      h.toService,
      String(h.wait.count),
      formatDuration(h.wait.meanUs),
      formatDuration(h.wait.p50Us),
      formatDuration(h.wait.p90Us),
      formatDuration(h.wait.p99Us),
      formatDuration(h.wait.maxUs),
      signed(h.growth.slopeUsPerRank, formatDuration),
      h.growth.r.toFixed(2),
    ]),
    numeric: [3, 10],
  };
}

export function stagesTable(report: AnalysisReport): ReportTable {
  return {
    head: ['SERVICE', 'STAGE', 'COUNT', 'P50 ms', 'P90 ms', 'P99 ms', 'MAX ms'],
    rows: report.stages.map((s) => [
      s.service,
      s.operation,
      String(s.duration.count),
      formatUsAsMs(s.duration.p50Us),
      formatUsAsMs(s.duration.p90Us),
      formatUsAsMs(s.duration.p99Us),
      formatUsAsMs(s.duration.maxUs),
    ]),
    numeric: [2, 6],
  };
}

/** Database statements, the most time in all first; long statements cut to `width`. */
export function statementsTable(report: AnalysisReport, width = 72, top = 15): ReportTable {
  const cut = (t: string) => (t.length > width ? `${t.slice(0, width - 1)}…` : t);
  return {
    head: ['SERVICE', 'DATABASE', 'STATEMENT', 'CALLS', 'P50', 'P99', 'MAX', 'TOTAL', 'ROWS'],
    rows: report.database.statements
      .slice(0, top)
      .map((s) => [
        s.service,
        s.system,
        cut(s.statement),
        String(s.duration.count),
        formatDuration(s.duration.p50Us),
        formatDuration(s.duration.p99Us),
        formatDuration(s.duration.maxUs),
        formatDuration(s.totalUs),
        s.rowsMean === null ? '-' : String(s.rowsMean),
      ]),
    numeric: [3, 8],
  };
}

export function criticalPathTable(report: AnalysisReport, top = 12): ReportTable {
  const n = report.criticalPath.traces.length;
  return {
    head: ['SERVICE', 'STAGE', 'KIND', 'DOMINATES', 'TIME ON PATH', 'SHARE'],
    rows: report.criticalPath.byStage
      .slice(0, top)
      .map((p) => [
        p.service,
        p.operation,
        p.kind,
        `${p.dominatesTraces}/${n}`,
        formatDuration(p.totalUs),
        `${(p.share * 100).toFixed(1)} %`,
      ]),
    numeric: [3, 5],
  };
}

export function resourcesTable(rows: readonly ResourceStats[], first: string): ReportTable {
  return {
    head: [
      first,
      'COUNT',
      'P50 ms',
      'P99 ms',
      'CPU AVG %',
      'CPU MAX %',
      'MEM AVG MB',
      'MEM MAX MB',
      'CPU-BOUND',
    ],
    rows: rows.map((r) => [
      r.key,
      String(r.count),
      formatUsAsMs(r.duration.p50Us),
      formatUsAsMs(r.duration.p99Us),
      num(r.cpuAvg),
      num(r.cpuMax),
      num(r.memoryAvgMb),
      num(r.memoryMaxMb),
      r.cpuBoundShare === null ? '-' : `${Math.round(r.cpuBoundShare * 100)} %`,
    ]),
    numeric: [1, 8],
  };
}

/** Time a trace spent on the critical path per stage and queue, the largest change first. */
export function pathChangesTable(c: ReportComparison): ReportTable {
  return {
    head: ['SERVICE', 'STAGE OR QUEUE', 'BASE', 'NOW', 'CHANGE', 'VERDICT'],
    rows: c.pathChanges.map((r) => [
      r.service,
      r.operation,
      formatDuration(r.pathAUs),
      formatDuration(r.pathBUs),
      r.change,
      r.tone === 'worse' ? 'longer path' : r.tone === 'better' ? 'shorter path' : r.verdict,
    ]),
    numeric: [2, 4],
  };
}

export function hopChangesTable(c: ReportComparison): ReportTable {
  return {
    head: ['TOPIC', 'CONSUMER', 'BASE', 'NOW', 'CHANGE', '%', 'VERDICT'],
    rows: c.hops.map((h) => [
      h.topic,
      h.toService,
      h.baseMeanUs === null ? '-' : formatDuration(h.baseMeanUs),
      h.nextMeanUs === null ? '-' : formatDuration(h.nextMeanUs),
      signed(h.deltaUs, formatDuration),
      relative(h.baseMeanUs, h.nextMeanUs),
      h.verdict,
    ]),
    numeric: [2, 5],
  };
}

export function stageChangesTable(c: ReportComparison): ReportTable {
  return {
    head: ['SERVICE', 'STAGE', 'BASE p50 ms', 'NOW p50 ms', 'CHANGE ms', '%', 'VERDICT'],
    rows: c.stages.map((s) => [
      s.service,
      s.operation,
      s.baseP50Us === null ? '-' : formatUsAsMs(s.baseP50Us),
      s.nextP50Us === null ? '-' : formatUsAsMs(s.nextP50Us),
      signed(s.deltaUs, formatUsAsMs),
      relative(s.baseP50Us, s.nextP50Us),
      s.verdict,
    ]),
    numeric: [2, 5],
  };
}

export function consumerChangesTable(c: ReportComparison): ReportTable {
  return {
    head: ['SERVICE', 'TOPIC', 'BASE UTIL. (BUSIEST)', 'NOW', 'BASE VERDICT', 'VERDICT NOW'],
    rows: c.consumers.map((x) => [
      x.service,
      x.topic,
      num(x.baseUtilisation, 2),
      num(x.nextUtilisation, 2),
      x.baseVerdict ?? '-',
      x.nextVerdict ?? '-',
    ]),
    numeric: [2, 3],
  };
}
