import { round } from '../errors/index.js';
import { databaseFindings } from './database-findings.js';
import { formatDuration as fmt, ordinal } from './format.js';
import type {
  AnalysisReport,
  Bottleneck,
  BusyPeriod,
  Finding,
  PathStageStats,
  PeriodPoint,
  PropagationReport,
  ResourceStats,
} from './report-types.js';

const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 } as const;

const pct = (share: number) => `${Math.round(share * 100)} %`;

type ReportParts = Omit<AnalysisReport, 'headline' | 'findings'>;

/**
 * The findings of a report, most severe first (stable within a severity, in the order below):
 * the first is the headline. Each says what a learner should take away, with the figures.
 */
export function findingsOf(report: ReportParts): Finding[] {
  const { traces } = report;
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
  const out: Finding[] = [...verdictFindings(report), ...databaseFindings(report.database)];
  for (const finding of [
    brokenPropagation(report.propagation),
    missingServices(report.propagation),
    criticalPathFinding(report),
    cpuByOperation(report.resources.byOperation),
    intensityFinding(report.resources.byIntensity),
    partialTraces(report.warnings),
  ]) {
    if (finding) out.push(finding);
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

/** The bottleneck and what follows from it; else, with consumers to judge, that none is. */
function verdictFindings(report: ReportParts): Finding[] {
  if (report.bottleneck) return bottleneckFindings(report, report.bottleneck);
  return report.consumers.length > 0 ? [noBottleneck(report)] : [];
}

/** Orders split over several traces, spans whose parent is missing. */
function brokenPropagation(propagation: PropagationReport): Finding | undefined {
  if (propagation.splitOrders.length === 0 && propagation.orphanSpans === 0) return undefined;
  const parts: string[] = [];
  if (propagation.splitOrders.length > 0) {
    const worst = Math.max(...propagation.splitOrders.map((o) => o.traceIDs.length));
    const hops = propagation.brokenHops
      .slice(0, 3)
      .map((h) => `${h.from} → ${h.to} (${h.orders} order(s))`);
    parts.push(
      `${propagation.splitOrders.length} order(s) appear as several traces (up to ${worst}), so trace context was lost between services` +
        (hops.length ? `: at ${hops.join(', ')}` : ''),
    );
  }
  if (propagation.orphanSpans > 0) {
    parts.push(`${propagation.orphanSpans} span(s) point to a parent that is not in their trace`);
  }
  return {
    severity: 'warning',
    kind: 'propagation',
    text: `Broken propagation: ${parts.join('; ')}.`,
    figures: {
      splitOrders: propagation.splitOrders.length,
      ...(propagation.brokenHops[0]
        ? {
            brokenHopFrom: propagation.brokenHops[0].from,
            brokenHopTo: propagation.brokenHops[0].to,
            brokenHopOrders: propagation.brokenHops[0].orders,
          }
        : {}),
      orphanSpans: propagation.orphanSpans,
      tracesMissingServices: propagation.missingServices.length,
    },
  };
}

/** Order traces that do not reach every service, and which they miss. */
function missingServices(propagation: PropagationReport): Finding | undefined {
  if (propagation.missingServices.length === 0) return undefined;
  const counts = new Map<string, number>();
  for (const t of propagation.missingServices) {
    for (const s of t.missing) counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  const list = [...counts].map(([s, n]) => `${s} (${n})`).join(', ');
  return {
    severity: 'warning',
    kind: 'propagation',
    text: `${propagation.missingServices.length} of ${propagation.orderTraces} order traces do not reach every service: missing ${list}. Either those orders are still in flight, or their trace context was lost.`,
    figures: {
      tracesMissingServices: propagation.missingServices.length,
      orderTraces: propagation.orderTraces,
    },
  };
}

/** The largest part of the critical path, and how it stands beside the verdict. */
function criticalPathFinding(report: ReportParts): Finding | undefined {
  const { criticalPath } = report;
  const top = criticalPath.byStage[0];
  if (!top || criticalPath.traces.length === 0) return undefined;
  const what =
    top.kind === 'queue'
      ? `waiting in \`${top.operation.replace(/^queue /, '')}\` for ${top.service}`
      : `${top.service} \`${top.operation}\``;
  return {
    severity: 'info',
    kind: 'critical-path',
    service: top.service,
    text: `The largest part of the critical path is ${what}: it dominates ${top.dominatesTraces} of ${criticalPath.traces.length} traces and takes ${pct(top.share)} of all critical-path time${pathAndVerdict(report, top)}.`,
    figures: {
      service: top.service,
      operation: top.operation,
      kind: top.kind,
      dominatesTraces: top.dominatesTraces,
      traces: criticalPath.traces.length,
      share: top.share,
    },
  };
}

/** The operations that use the most and the least CPU. */
function cpuByOperation(byOperation: readonly ResourceStats[]): Finding | undefined {
  const ops = byOperation.filter((r) => r.cpuAvg !== null);
  if (ops.length === 0) return undefined;
  const hi = ops[0]!;
  const lo = ops[ops.length - 1]!;
  const cores = hi.cpuMax !== null && hi.cpuMax > 100 ? ' (more than one core)' : '';
  return {
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
  };
}

/** How much longer the heaviest intensity's work takes than the lightest's. */
function intensityFinding(levels: readonly ResourceStats[]): Finding | undefined {
  if (levels.length < 2) return undefined;
  const lo = levels[0]!;
  const hi = levels[levels.length - 1]!;
  const ratio = lo.duration.p50Us > 0 ? hi.duration.p50Us / lo.duration.p50Us : null;
  return {
    severity: 'info',
    kind: 'intensity',
    text: `${hi.key} work takes ${ratio === null ? 'longer than' : `${ratio >= 10 ? Math.round(ratio) : ratio.toFixed(1)}× as long as`} ${lo.key} (p50 ${fmt(hi.duration.p50Us)} against ${fmt(lo.duration.p50Us)})${cpuAgainst(hi, lo)}.`,
    figures: {
      heavier: hi.key,
      lighter: lo.key,
      heavierP50Us: hi.duration.p50Us,
      lighterP50Us: lo.duration.p50Us,
      ratio: ratio === null ? null : round(ratio, 1),
      heavierCpuAvg: hi.cpuAvg,
      lighterCpuAvg: lo.cpuAvg,
    },
  };
}

/** Warnings met while reading the traces, by code. */
function partialTraces(warnings: ReportParts['warnings']): Finding | undefined {
  if (warnings.total === 0) return undefined;
  const list = Object.entries(warnings.byCode)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  return {
    severity: 'info',
    kind: 'partial-traces',
    text: `Some traces were partial or odd (${list}); the figures work around them.`,
    figures: { ...warnings.byCode, total: warnings.total },
  };
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

const clock = (us: number) => new Date(us / 1000).toISOString().slice(11, 19);

/** "the 4th order", or "the 4th order in partition 2" when ranks restart per Kafka partition. */
const nth = (p: PeriodPoint, noun = '') =>
  `the ${ordinal(p.position)}${noun ? ` ${noun}` : ''}${p.partition !== undefined ? ` in partition ${p.partition}` : ''}`;

/** Where a busy period sits, when it is not the whole window: "in its busiest stretch (…), ". */
function stretch(period: BusyPeriod, messages: number, periods: number): string {
  if (period.messages === messages) return '';
  return `in its busiest stretch (${period.messages} orders from ${clock(period.fromUs)} to ${clock(period.toUs)} UTC, ${periods} busy periods in all) `;
}

/** How the waits grew inside a busy period, and who serves the queue. */
function growthText(b: { service: string; instances: number }, period: BusyPeriod): string {
  const who =
    b.instances > 1
      ? `${b.service}'s ${b.instances} replicas take them no faster than that`
      : `${b.service} handles them one after another`;
  return `each order waited about ${fmt(period.growth.slopeUsPerRank)} longer than the one before it (${who}); the 1st waited ${fmt(period.first.waitUs)}, ${nth(period.last)} ${fmt(period.last.waitUs)}`;
}

/** The verdict and what follows from it: head-of-line blocking, other queues that build up. */
function bottleneckFindings(report: ReportParts, b: Bottleneck): Finding[] {
  const c = report.consumers.find((x) => x.service === b.service && x.topic === b.topic)!;
  const p = b.period;
  const each = b.instances > 1 ? ` on each of its ${b.instances} replicas` : '';
  const arrivals =
    p.utilisation === null
      ? `all ${p.messages} orders arrived at once`
      : `orders arrived every ${fmt(p.arrivalIntervalUs ?? 0)}`;
  const averaged =
    p.messages < c.messages && b.windowUtilisation !== null && b.windowUtilisation <= 1
      ? ` Over the whole window its utilisation is ${b.windowUtilisation.toFixed(2)}: the quiet time between bursts averages the queue away.`
      : '';
  const out: Finding[] = [
    {
      severity: 'critical',
      kind: 'bottleneck',
      service: b.service,
      text: `${b.service} is the bottleneck: ${stretch(p, c.messages, b.busyPeriods)}each order takes ${fmt(p.serviceTimeMeanUs)}${each} (service time), but ${arrivals}, so they queue; ${nth(p.longest, 'order')} waited ${fmt(p.longest.waitUs)} in \`${b.topic}\`.${averaged}`,
      figures: {
        topic: b.topic,
        messages: p.messages,
        instances: b.instances,
        serviceTimeMeanUs: p.serviceTimeMeanUs,
        serviceTimeP50Us: c.serviceTime.p50Us,
        arrivalIntervalUs: p.utilisation === null ? 0 : p.arrivalIntervalUs,
        utilisation: p.utilisation,
        longestWaitUs: p.longest.waitUs,
        longestWaitRank: p.longest.position,
        periodFromUs: p.fromUs,
        periodToUs: p.toUs,
        busyPeriods: b.busyPeriods,
        saturatedPeriods: b.saturatedPeriods,
        windowMessages: c.messages,
        windowUtilisation: b.windowUtilisation,
      },
    },
    {
      severity: 'warning',
      kind: 'queue-growth',
      service: b.service,
      text: `Head-of-line blocking in \`${b.topic}\`: ${growthText(b, p)}.`,
      figures: {
        topic: b.topic,
        messages: p.messages,
        slopeUsPerRank: p.growth.slopeUsPerRank,
        r: p.growth.r,
        firstWaitUs: p.first.waitUs,
        lastWaitUs: p.last.waitUs,
        meanWaitUs: p.wait.meanUs,
      },
    },
  ];
  for (const other of b.alsoSaturated) {
    const o = report.consumers.find((x) => x.service === other.service && x.topic === other.topic);
    const op = o?.busyPeriods.worst;
    if (!o || !op) continue;
    out.push({
      severity: 'warning',
      kind: 'queue-growth',
      service: o.service,
      text: `Orders also queue in \`${o.topic}\` for ${o.service}: in its worst busy period ${growthText(o, op)}. Waiting there takes less of the critical path than waiting for ${b.service}, the bottleneck; relieve that first, and this queue may take its place.`,
      figures: {
        topic: o.topic,
        messages: op.messages,
        slopeUsPerRank: op.growth.slopeUsPerRank,
        r: op.growth.r,
        firstWaitUs: op.first.waitUs,
        lastWaitUs: op.last.waitUs,
        meanWaitUs: op.wait.meanUs,
        utilisation: op.utilisation,
      },
    });
  }
  return out;
}

/** No consumer fell behind: said once, so no view is left to guess. */
function noBottleneck(report: ReportParts): Finding {
  const longest = report.hops.reduce<ReportParts['hops'][number] | undefined>(
    (a, h) => (a === undefined || h.wait.maxUs > a.wait.maxUs ? h : a),
    undefined,
  );
  const where = longest
    ? `; the longest wait was ${fmt(longest.wait.maxUs)} in \`${longest.topic}\``
    : '';
  return {
    severity: 'info',
    kind: 'no-bottleneck',
    text: `No bottleneck: every consumer keeps up with the rate its messages arrive at, and none fell behind in a burst (waits that build up by chance in a random stream do not count)${where}.`,
    figures: {
      consumers: report.consumers.length,
      longestWaitUs: longest?.wait.maxUs ?? null,
      topic: longest?.topic ?? null,
    },
  };
}

/**
 * What the critical path's largest part says beside the verdict: nothing when it is the
 * bottleneck's queue; else where waiting for the bottleneck stands on it, or, with no
 * bottleneck, why waiting in a queue can still be large.
 */
function pathAndVerdict(report: ReportParts, top: PathStageStats): string {
  const b = report.bottleneck;
  if (b) {
    if (top.kind === 'queue' && top.service === b.service && top.operation === `queue ${b.topic}`) {
      return '';
    }
    return b.criticalPath
      ? `; waiting for the bottleneck, ${b.service}, in \`${b.topic}\` dominates ${b.criticalPath.dominatesTraces} and takes ${pct(b.criticalPath.share)}`
      : `; the bottleneck, ${b.service}, queues orders in \`${b.topic}\` outside these traces' critical paths`;
  }
  if (top.kind === 'queue' && report.consumers.length > 0) {
    return '; no consumer fell behind its arrivals, so this waiting is messages overlapping by chance, or a consumer slow to take them';
  }
  return '';
}
