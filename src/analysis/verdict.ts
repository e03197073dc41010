import type { AnalysisReport, Bottleneck, ConsumerStats, PathStageStats } from './report-types.js';

/** The critical path's entry for waiting in a consumer's queue, and its place in byStage. */
function queueOnPath(
  byStage: readonly PathStageStats[],
  c: ConsumerStats,
): { stage: PathStageStats; index: number } | undefined {
  const operation = `queue ${c.topic}`;
  const index = byStage.findIndex(
    (p) => p.kind === 'queue' && p.service === c.service && p.operation === operation,
  );
  return index < 0 ? undefined : { stage: byStage[index]!, index };
}

/**
 * The one bottleneck of a report: of the consumers that saturated in some busy period, the
 * one whose queue waiting ranks highest on the critical path (the order of its table: traces
 * dominated, then time), so the verdict and the critical path never point at two places;
 * a saturated queue not on the critical path at all comes after those that are, by its worst
 * wait. None when no consumer saturated. Every view reads this, never its own pick.
 */
export function bottleneckOf(
  consumers: readonly ConsumerStats[],
  criticalPath: AnalysisReport['criticalPath'],
): Bottleneck | null {
  const saturated = consumers.filter((c) => c.verdict === 'saturated' && c.busyPeriods.worst);
  if (saturated.length === 0) return null;
  const off = criticalPath.byStage.length;
  const ranked = saturated
    .map((c) => ({ c, path: queueOnPath(criticalPath.byStage, c) }))
    .sort(
      (a, b) =>
        (a.path?.index ?? off) - (b.path?.index ?? off) ||
        b.c.busyPeriods.worst!.wait.maxUs - a.c.busyPeriods.worst!.wait.maxUs,
    );
  const { c, path } = ranked[0]!;
  return {
    service: c.service,
    topic: c.topic,
    instances: c.instances,
    period: c.busyPeriods.worst!,
    busyPeriods: c.busyPeriods.count,
    saturatedPeriods: c.busyPeriods.saturated,
    windowUtilisation: c.utilisation,
    criticalPath: path
      ? {
          dominatesTraces: path.stage.dominatesTraces,
          traces: criticalPath.traces.length,
          share: path.stage.share,
        }
      : null,
    alsoSaturated: ranked.slice(1).map((r) => ({ service: r.c.service, topic: r.c.topic })),
  };
}
