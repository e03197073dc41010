import {
  formatChange,
  formatRelative,
  percentChange,
  rankChanges,
  verdictOf as rowVerdict,
} from './changes.js';
import type { ChangeInput } from './changes.js';
import { formatDuration as fmt } from './format.js';
import { busiestUtilisation } from './busy-periods.js';
import type {
  AnalysisReport,
  ChangeVerdict,
  Finding,
  HopChange,
  ReportComparison,
  StageChange,
} from './report-types.js';
import type { ChangeRow, Microseconds } from './types.js';

function verdictOf(base: number | null, next: number | null): ChangeVerdict {
  const v = rowVerdict(base, next);
  return v === 'only in A' ? 'only in base' : v === 'only in B' ? 'only in next' : v;
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
      baseUtilisation: b ? busiestUtilisation(b) : null,
      nextUtilisation: n ? busiestUtilisation(n) : null,
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
  const pathChanges = criticalPathChanges(base, next);
  return {
    headline: headlineOf(pathChanges, hops, endToEnd),
    endToEnd,
    pathChanges,
    stages,
    hops,
    consumers,
  };
}

type PathKey = Pick<ChangeInput, 'kind' | 'service' | 'operation' | 'topic'>;

/** Mean time per trace on the critical path, per stage and queue. */
function pathTimes(r: AnalysisReport): Map<string, { key: PathKey; us: Microseconds }> {
  const n = r.criticalPath.traces.length;
  const out = new Map<string, { key: PathKey; us: Microseconds }>();
  for (const s of r.criticalPath.byStage) {
    const topic = s.kind === 'queue' ? s.operation.replace(/^queue /, '') : undefined;
    const key: PathKey = {
      kind: s.kind,
      service: s.service,
      operation: s.operation,
      ...(topic !== undefined ? { topic } : {}),
    };
    out.set(`${s.kind}\u0000${s.service}\u0000${s.operation}`, {
      key,
      us: n ? Math.round(s.totalUs / n) : 0,
    });
  }
  return out;
}

/** Stages and queues on either side's critical path, the largest change first. */
function criticalPathChanges(base: AnalysisReport, next: AnalysisReport): ChangeRow[] {
  const a = pathTimes(base);
  const b = pathTimes(next);
  return rankChanges(
    [...new Set([...a.keys(), ...b.keys()])].map((k) => {
      const x = a.get(k);
      const y = b.get(k);
      return {
        ...(x ?? y)!.key,
        aUs: x?.us ?? 0,
        bUs: y?.us ?? 0,
        pathAUs: x?.us ?? 0,
        pathBUs: y?.us ?? 0,
        viaChildren: false,
      };
    }),
  );
}

/** "−57.1 %", "×1,250", or the absolute change where the base is too small for either. */
const relative = (a: Microseconds, b: Microseconds) => formatRelative(a, b) ?? formatChange(a, b);

const changed = (v: ChangeVerdict) => v === 'faster' || v === 'slower';

function hopText(h: HopChange): string {
  const word = h.verdict === 'faster' ? 'dropped' : 'grew';
  return `\`${h.topic}\` (${h.toService}) ${word} from ${fmt(h.baseMeanUs!)} to ${fmt(h.nextMeanUs!)} (${relative(h.baseMeanUs!, h.nextMeanUs!)})`;
}

/** A change on the critical path in words: a queue by its mean wait, a stage by its time there. */
function pathText(c: ChangeRow, hops: readonly HopChange[]): string {
  const hop = hops.find((h) => h.topic === c.topic && h.toService === c.service);
  if (c.kind === 'queue' && hop && changed(hop.verdict))
    return `Mean queue wait in ${hopText(hop)}`;
  const word = c.pathDeltaUs < 0 ? 'dropped' : 'grew';
  return `${c.service} ${c.operation} on the critical path ${word} from ${fmt(c.pathAUs)} to ${fmt(c.pathBUs)} a trace (${formatChange(c.pathAUs, c.pathBUs)})`;
}

/**
 * The largest change on the critical path first (what a user waits for), then the next one,
 * which often shows the bottleneck moving downstream; else the largest change in queue wait.
 */
function headlineOf(
  path: readonly ChangeRow[],
  hops: readonly HopChange[],
  e2e: ReportComparison['endToEnd'],
): Finding {
  const e2eText = `end to end (p50) ${fmt(e2e.baseP50Us)} → ${fmt(e2e.nextP50Us)} (${relative(e2e.baseP50Us, e2e.nextP50Us)})`;
  // Path rows hold the time on the critical path on both sides: their verdict is the path's.
  const onPath = path.filter((c) => c.verdict === 'faster' || c.verdict === 'slower');
  const top = onPath[0];
  if (top) {
    const other = onPath[1];
    const hop = hops.find((h) => h.topic === top.topic && h.toService === top.service);
    return {
      severity: 'info',
      kind: 'compare',
      service: top.service,
      text:
        pathText(top, hops) +
        (other ? `; ${pathText(other, hops).replace(/^Mean queue wait/, 'mean queue wait')}` : '') +
        `; ${e2eText}.`,
      figures: {
        ...(top.topic !== undefined ? { topic: top.topic } : { operation: top.operation }),
        basePathUs: top.pathAUs,
        nextPathUs: top.pathBUs,
        ...(hop
          ? {
              baseMeanWaitUs: hop.baseMeanUs,
              nextMeanWaitUs: hop.nextMeanUs,
              deltaUs: hop.deltaUs,
              deltaPct: hop.deltaPct,
            }
          : { deltaUs: top.pathDeltaUs, deltaPct: top.deltaPct }),
        endToEndDeltaPct: e2e.deltaPct,
      },
    };
  }
  const hop = hops.find((h) => changed(h.verdict));
  if (hop) {
    return {
      severity: 'info',
      kind: 'compare',
      service: hop.toService,
      text: `Mean queue wait in ${hopText(hop)}; nothing on the critical path changed noticeably; ${e2eText}.`,
      figures: {
        topic: hop.topic,
        baseMeanWaitUs: hop.baseMeanUs,
        nextMeanWaitUs: hop.nextMeanUs,
        deltaUs: hop.deltaUs,
        deltaPct: hop.deltaPct,
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
