import { percentChange } from './compare.js';
import { formatDuration as fmt, formatPercent } from './format.js';
import type {
  AnalysisReport,
  ChangeVerdict,
  Finding,
  HopChange,
  ReportComparison,
  StageChange,
} from './report-types.js';
import type { Microseconds } from './types.js';

/** Changes smaller than both of these are noise between two runs, not an effect. */
const SAME_PCT = 5;
const SAME_US = 500;

function verdictOf(base: number | null, next: number | null): ChangeVerdict {
  if (base === null) return 'only in next';
  if (next === null) return 'only in base';
  const d = next - base;
  const p = percentChange(base, next);
  if (Math.abs(d) < SAME_US || (p !== null && Math.abs(p) < SAME_PCT)) return 'same';
  return d < 0 ? 'faster' : 'slower';
}

function change(base: number | null, next: number | null) {
  const both = base !== null && next !== null;
  return {
    deltaUs: both ? next - base : null,
    deltaPct: both ? percentChange(base, next) : null,
    verdict: verdictOf(base, next),
  };
}

/**
 * `analyze --compare`: a base report (a saved --json, or an earlier window) against the next.
 * Per stage its p50, per hop its mean queue wait, per consumer its utilisation; the headline
 * is the largest change in queue wait, else end to end.
 */
export function compareReports(base: AnalysisReport, next: AnalysisReport): ReportComparison {
  const stageKey = (s: { service: string; operation: string }) =>
    `${s.service}\u0000${s.operation}`;
  const baseStages = new Map(base.stages.map((s) => [stageKey(s), s]));
  const nextStages = new Map(next.stages.map((s) => [stageKey(s), s]));
  const stages: StageChange[] = [...new Set([...baseStages.keys(), ...nextStages.keys()])].map(
    (k) => {
      const b = baseStages.get(k);
      const n = nextStages.get(k);
      const s = (b ?? n)!;
      const bp = b ? b.duration.p50Us : null;
      const np = n ? n.duration.p50Us : null;
      return {
        service: s.service,
        operation: s.operation,
        baseP50Us: bp,
        nextP50Us: np,
        ...change(bp, np),
      };
    },
  );
  stages.sort((a, b) => Math.abs(b.deltaUs ?? 0) - Math.abs(a.deltaUs ?? 0));

  const hopKey = (h: { topic: string; toService: string }) => `${h.topic}\u0000${h.toService}`;
  const baseHops = new Map(base.hops.map((h) => [hopKey(h), h]));
  const nextHops = new Map(next.hops.map((h) => [hopKey(h), h]));
  const hops: HopChange[] = [...new Set([...baseHops.keys(), ...nextHops.keys()])].map((k) => {
    const b = baseHops.get(k);
    const n = nextHops.get(k);
    const h = (b ?? n)!;
    const bm = b ? Math.round(b.wait.meanUs) : null;
    const nm = n ? Math.round(n.wait.meanUs) : null;
    return {
      topic: h.topic,
      toService: h.toService,
      baseMeanUs: bm,
      nextMeanUs: nm,
      ...change(bm, nm),
    };
  });
  hops.sort((a, b) => Math.abs(b.deltaUs ?? 0) - Math.abs(a.deltaUs ?? 0));

  const consumerKey = (c: { service: string; topic: string }) => `${c.service}\u0000${c.topic}`;
  const baseConsumers = new Map(base.consumers.map((c) => [consumerKey(c), c]));
  const nextConsumers = new Map(next.consumers.map((c) => [consumerKey(c), c]));
  const consumers = [...new Set([...baseConsumers.keys(), ...nextConsumers.keys()])].map((k) => {
    const b = baseConsumers.get(k);
    const n = nextConsumers.get(k);
    const c = (b ?? n)!;
    return {
      service: c.service,
      topic: c.topic,
      baseUtilisation: b?.utilisation ?? null,
      nextUtilisation: n?.utilisation ?? null,
      baseVerdict: b?.verdict ?? null,
      nextVerdict: n?.verdict ?? null,
    };
  });

  const baseE2e: Microseconds = base.traces.endToEnd.p50Us;
  const nextE2e: Microseconds = next.traces.endToEnd.p50Us;
  const endToEnd = {
    baseP50Us: baseE2e,
    nextP50Us: nextE2e,
    deltaUs: nextE2e - baseE2e,
    deltaPct: percentChange(baseE2e, nextE2e),
  };
  const bottleneck = base.headline.kind === 'bottleneck' ? base.headline.service : undefined;
  return { headline: headlineOf(hops, endToEnd, bottleneck), endToEnd, stages, hops, consumers };
}

const changed = (h: HopChange) => h.verdict === 'faster' || h.verdict === 'slower';

function hopText(h: HopChange): string {
  const word = h.verdict === 'faster' ? 'dropped' : 'grew';
  return `\`${h.topic}\` (${h.toService}) ${word} from ${fmt(h.baseMeanUs!)} to ${fmt(h.nextMeanUs!)} (${formatPercent(h.deltaPct)})`;
}

/**
 * The wait into the base's bottleneck first (that is what a learner changes), else the largest
 * change; then the largest other change, which often shows the bottleneck moving downstream.
 */
function headlineOf(
  hops: readonly HopChange[],
  e2e: ReportComparison['endToEnd'],
  bottleneck: string | undefined,
): Finding {
  const e2eText = `end to end (p50) ${fmt(e2e.baseP50Us)} → ${fmt(e2e.nextP50Us)} (${formatPercent(e2e.deltaPct)})`;
  const top = hops.find((h) => changed(h) && h.toService === bottleneck) ?? hops.find(changed);
  if (top) {
    const other = hops.find((h) => h !== top && changed(h));
    return {
      severity: 'info',
      kind: 'compare',
      service: top.toService,
      text:
        `Mean queue wait in ${hopText(top)}` +
        (other ? `; in ${hopText(other)}` : '') +
        `; ${e2eText}.`,
      figures: {
        topic: top.topic,
        baseMeanWaitUs: top.baseMeanUs,
        nextMeanWaitUs: top.nextMeanUs,
        deltaUs: top.deltaUs,
        deltaPct: top.deltaPct,
        endToEndDeltaPct: e2e.deltaPct,
      },
    };
  }
  return {
    severity: 'info',
    kind: 'compare',
    text: `No queue wait changed noticeably; ${e2eText}.`,
    figures: { endToEndDeltaUs: e2e.deltaUs, endToEndDeltaPct: e2e.deltaPct },
  };
}
