import type { JaegerTrace, TraceReader } from '../model/index.js';
import type { Progress } from './column.js';
import { CriticalPathStages } from './critical-path-stages.js';
import { DatabaseUse } from './database.js';
import { findingsOf } from './findings.js';
import { HopMessages } from './hop-messages.js';
import { jaegerTraceReader } from './jaeger-reader.js';
import { Propagation } from './propagation.js';
import type { AnalysisReport, AnalyzeOptions } from './report-types.js';
import { ResourceUse } from './resource-use.js';
import { SpanTable } from './span-table.js';
import { StageDurations } from './stage-durations.js';
import { StageIds } from './stage-ids.js';
import { stitchedReader, stitchLinkedTraces } from './stitch.js';
import { TraceWindow } from './trace-window.js';
import { bottleneckOf } from './verdict.js';
import { WarningTally } from './warning-tally.js';

/**
 * Everything `tracelab analyze` tells about a set of traces: per stage latency, queue wait per
 * hop and its growth with the bus's order of the messages, each consumer as a queue judged
 * inside its busy periods (saturated or not), the critical path of each trace and what
 * dominates it, the one bottleneck (report.bottleneck), resource cost per operation and
 * intensity, broken propagation, database calls (N+1, pool and lock waits, slow statements); then findings in words, the headline first. Pure; odd
 * traces are counted in `warnings`, never thrown on. Traces are Jaeger's JSON, or whatever
 * `reader` reads (the collector's stored spans). Traces linked to each other are analysed as
 * one (stitchLinkedTraces).
 */
export function analyzeTraces(
  traces: readonly JaegerTrace[],
  options?: AnalyzeOptions,
): AnalysisReport;
export function analyzeTraces<T>(
  traces: readonly T[],
  options: AnalyzeOptions,
  reader: TraceReader<T>,
): AnalysisReport;
export function analyzeTraces<T>(
  inputTraces: readonly T[],
  options: AnalyzeOptions = {},
  readerOfTraces: TraceReader<T> = jaegerTraceReader as unknown as TraceReader<T>,
): AnalysisReport {
  // Linked traces (link mode: a new trace per consumer) are read as one, so both modes give
  // the same answer; without links each chain is one trace, read as it is.
  const traces = stitchLinkedTraces(inputTraces, readerOfTraces);
  const reader = stitchedReader(readerOfTraces);
  const only = options.service;
  const progress: Progress = { done: 0, total: traces.length };
  const t = new SpanTable();
  const stageIds = new StageIds();
  const traceWindow = new TraceWindow(progress);
  const stages = new StageDurations(progress, only);
  const resources = new ResourceUse(progress, only);
  const database = new DatabaseUse(progress, only);
  const propagation = new Propagation(traces.length);
  const hops = new HopMessages(traces.length, progress, only, options.maxArrivalPoints ?? 2000);
  const paths = new CriticalPathStages(t, traces.length <= (options.keepPathsUpTo ?? 200));
  const warnings = new WarningTally();

  for (let traceNo = 0; traceNo < traces.length; traceNo++) {
    const trace = traces[traceNo]!;
    progress.done = traceNo + 1;
    t.load(reader, trace);
    const orderId = orderIdOf(t);
    traceWindow.add(t, orderId !== undefined);
    const stageOf = stageIds.number(t);
    stages.add(t, stageOf);
    resources.add(t);
    database.add(t);
    if (orderId !== undefined) propagation.add(t, orderId);
    // Both warn into t.warnings: hops of clock skew, the critical path of odd shapes.
    hops.add(t, traceNo, orderId, reader, trace);
    paths.add(t, stageOf, stageIds.count, orderId);
    for (const w of t.warnings) warnings.add(w);
  }

  const { hops: hopStats, consumers } = hops.result((w) => warnings.add(w));
  const criticalPath = paths.result();
  const partial = {
    version: 1 as const,
    traces: traceWindow.result(),
    ...(only !== undefined ? { service: only } : {}),
    stages: stages.result(),
    hops: hopStats,
    consumers,
    bottleneck: bottleneckOf(consumers, criticalPath),
    criticalPath,
    resources: resources.result(),
    propagation: propagation.result(warnings.orphanSpans, options.expectedServices),
    database: database.result(),
    warnings: warnings.result(),
  };
  const findings = findingsOf(partial);
  return { ...partial, headline: findings[0]!, findings };
}

/** The trace's order id: the first a span carries, in start order. */
function orderIdOf(t: SpanTable): string | undefined {
  let orderId: string | undefined;
  for (let k = 0; k < t.n && orderId === undefined; k++) orderId = t.orderId[t.order[k]!];
  return orderId;
}
