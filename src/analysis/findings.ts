import { formatDuration as fmt, ordinal } from './format.js';
import type { AnalysisReport, Finding, HopStats, ResourceStats } from './report-types.js';

const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 } as const;

const pct = (share: number) => `${Math.round(share * 100)} %`;

/**
 * The findings of a report, most severe first (stable within a severity, in the order below):
 * the first is the headline. Each says what a learner should take away, with the figures.
 */
export function findingsOf(report: Omit<AnalysisReport, 'headline' | 'findings'>): Finding[] {
  const out: Finding[] = [];
  const { consumers, hops, criticalPath, resources, propagation, traces, warnings } = report;

  if (traces.count === 0) {
    return [
      {
        severity: 'warning',
        kind: 'no-data',
        text: 'No traces to analyse: send some orders first, or widen the window (--since).',
        figures: { traces: 0 },
      },
    ];
  }

  const hopInto = (service: string, topic: string): HopStats | undefined =>
    hops.find((h) => h.toService === service && h.topic === topic);

  for (const c of consumers.filter((x) => x.verdict === 'saturated')) {
    const hop = hopInto(c.service, c.topic);
    const longest = hop?.growth.longest;
    const each = c.instances > 1 ? ` on each of its ${c.instances} replicas` : '';
    const wait = longest
      ? `; the ${ordinal(longest.rank)} order waited ${fmt(longest.waitUs)} in \`${c.topic}\``
      : '';
    out.push({
      severity: 'critical',
      kind: 'bottleneck',
      service: c.service,
      text: `${c.service} is the bottleneck: each order takes ${fmt(c.serviceTime.meanUs)}${each} (service time), but ${c.arrivalIntervalUs ? `orders arrived every ${fmt(c.arrivalIntervalUs)}` : `all ${c.messages} orders arrived at once`}, so they queue${wait}.`,
      figures: {
        topic: c.topic,
        messages: c.messages,
        instances: c.instances,
        serviceTimeMeanUs: Math.round(c.serviceTime.meanUs),
        serviceTimeP50Us: c.serviceTime.p50Us,
        arrivalIntervalUs: c.arrivalIntervalUs,
        utilisation: c.utilisation,
        longestWaitUs: longest?.waitUs ?? null,
        longestWaitRank: longest?.rank ?? null,
      },
    });
  }

  if (propagation.splitOrders.length > 0 || propagation.orphanSpans > 0) {
    const parts: string[] = [];
    if (propagation.splitOrders.length > 0) {
      const worst = Math.max(...propagation.splitOrders.map((o) => o.traceIDs.length));
      parts.push(
        `${propagation.splitOrders.length} order(s) appear as several traces (up to ${worst}), so trace context was lost between services`,
      );
    }
    if (propagation.orphanSpans > 0) {
      parts.push(`${propagation.orphanSpans} span(s) point to a parent that is not in their trace`);
    }
    out.push({
      severity: 'warning',
      kind: 'propagation',
      text: `Broken propagation: ${parts.join('; ')}.`,
      figures: {
        splitOrders: propagation.splitOrders.length,
        orphanSpans: propagation.orphanSpans,
        tracesMissingServices: propagation.missingServices.length,
      },
    });
  }

  for (const h of hops.filter((x) => x.growth.growing)) {
    const { first, last, slopeUsPerRank, r } = h.growth;
    out.push({
      severity: 'warning',
      kind: 'queue-growth',
      service: h.toService,
      text: `Head-of-line blocking in \`${h.topic}\`: each order waited about ${fmt(slopeUsPerRank)} longer than the one before it (${h.toService} handles them one after another); the 1st waited ${fmt(first!.waitUs)}, the ${ordinal(last!.rank)} ${fmt(last!.waitUs)}.`,
      figures: {
        topic: h.topic,
        messages: h.wait.count,
        slopeUsPerRank,
        r,
        firstWaitUs: first!.waitUs,
        lastWaitUs: last!.waitUs,
        meanWaitUs: Math.round(h.wait.meanUs),
      },
    });
  }

  if (propagation.missingServices.length > 0) {
    const counts = new Map<string, number>();
    for (const t of propagation.missingServices) {
      for (const s of t.missing) counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    const list = [...counts].map(([s, n]) => `${s} (${n})`).join(', ');
    out.push({
      severity: 'warning',
      kind: 'propagation',
      text: `${propagation.missingServices.length} of ${propagation.orderTraces} order traces do not reach every service: missing ${list}. Either those orders are still in flight, or their trace context was lost.`,
      figures: {
        tracesMissingServices: propagation.missingServices.length,
        orderTraces: propagation.orderTraces,
      },
    });
  }

  const top = criticalPath.byStage[0];
  if (top && criticalPath.traces.length > 0) {
    const what =
      top.kind === 'queue'
        ? `waiting in \`${top.operation.replace(/^queue /, '')}\` for ${top.service}`
        : `${top.service} \`${top.operation}\``;
    out.push({
      severity: 'info',
      kind: 'critical-path',
      service: top.service,
      text: `The largest part of the critical path is ${what}: it dominates ${top.dominatesTraces} of ${criticalPath.traces.length} traces and takes ${pct(top.share)} of all critical-path time.`,
      figures: {
        service: top.service,
        operation: top.operation,
        kind: top.kind,
        dominatesTraces: top.dominatesTraces,
        traces: criticalPath.traces.length,
        share: top.share,
      },
    });
  }

  const ops = resources.byOperation.filter((r) => r.cpuAvg !== null);
  if (ops.length > 0) {
    const hi = ops[0]!;
    const lo = ops[ops.length - 1]!;
    const cores = hi.cpuMax !== null && hi.cpuMax > 100 ? ' (more than one core)' : '';
    out.push({
      severity: 'info',
      kind: 'resources',
      text:
        `\`${hi.key}\` uses the most CPU: ${hi.cpuAvg} % of a core on average, up to ${hi.cpuMax ?? '?'} %${cores}, p50 ${fmt(hi.duration.p50Us)}` +
        (lo !== hi
          ? `; \`${lo.key}\` the least: ${lo.cpuAvg} %, p50 ${fmt(lo.duration.p50Us)}.`
          : '.'),
      figures: {
        operation: hi.key,
        cpuAvg: hi.cpuAvg,
        cpuMax: hi.cpuMax,
        cpuBoundShare: hi.cpuBoundShare,
        lightestOperation: lo.key,
        lightestCpuAvg: lo.cpuAvg,
      },
    });
  }

  const levels = resources.byIntensity;
  if (levels.length >= 2) {
    const lo = levels[0]!;
    const hi = levels[levels.length - 1]!;
    const ratio = lo.duration.p50Us > 0 ? hi.duration.p50Us / lo.duration.p50Us : null;
    out.push({
      severity: 'info',
      kind: 'intensity',
      text: `${hi.key} work takes ${ratio === null ? 'longer than' : `${ratio >= 10 ? Math.round(ratio) : ratio.toFixed(1)}× as long as`} ${lo.key} (p50 ${fmt(hi.duration.p50Us)} against ${fmt(lo.duration.p50Us)})${cpuAgainst(hi, lo)}.`,
      figures: {
        heavier: hi.key,
        lighter: lo.key,
        heavierP50Us: hi.duration.p50Us,
        lighterP50Us: lo.duration.p50Us,
        ratio: ratio === null ? null : Math.round(ratio * 10) / 10,
        heavierCpuAvg: hi.cpuAvg,
        lighterCpuAvg: lo.cpuAvg,
      },
    });
  }

  if (warnings.total > 0) {
    const list = Object.entries(warnings.byCode)
      .map(([code, n]) => `${code} ${n}`)
      .join(', ');
    out.push({
      severity: 'info',
      kind: 'partial-traces',
      text: `Some traces were partial or odd (${list}); the figures work around them.`,
      figures: { ...warnings.byCode, total: warnings.total },
    });
  }

  if (out.length === 0) {
    out.push({
      severity: 'info',
      kind: 'no-data',
      text: `${traces.count} trace(s), nothing stands out.`,
      figures: { traces: traces.count },
    });
  }
  return out
    .map((f, i) => ({ f, i }))
    .sort((a, b) => SEVERITY_ORDER[a.f.severity] - SEVERITY_ORDER[b.f.severity] || a.i - b.i)
    .map(({ f }) => f);
}

/** " at 180 % CPU against 95 %", or which side's spans were too short to measure. */
function cpuAgainst(hi: ResourceStats, lo: ResourceStats): string {
  if (hi.cpuAvg !== null && lo.cpuAvg !== null) {
    return ` at ${hi.cpuAvg} % CPU against ${lo.cpuAvg} %`;
  }
  const measured = [hi, lo].find((r) => r.cpuAvg !== null);
  const unmeasured = [hi, lo].filter((r) => r.cpuAvg === null).map((r) => r.key);
  return (
    (measured ? ` at ${measured.cpuAvg} % CPU for ${measured.key}` : '') +
    `; the ${unmeasured.join(' and ')} spans were too short to measure their CPU`
  );
}
