import { walkCriticalPath } from './critical-path.js';
import { PathRecorder } from './path-recorder.js';
import type {
  AnalysisReport,
  PathStageKey,
  PathStageStats,
  TraceCriticalPath,
} from './report-types.js';
import type { SpanTable } from './span-table.js';
import { round } from '../errors/index.js';
import { TwoKeyMap } from './two-key-map.js';
import type { CriticalPathSegment } from './types.js';

/** Segments of a trace whose path the report does not keep: one list shared by all. */
const NO_SEGMENTS: readonly CriticalPathSegment[] = Object.freeze([]);

type StageTotals = PathStageKey & { dominatesTraces: number; totalUs: number };
type Kind = PathStageKey['kind'];

/** Time on the critical paths of one set of traces, per stage, each stage as first met. */
class PathStageTotals {
  private readonly byKey: Record<Kind, TwoKeyMap<StageTotals>> = {
    span: new TwoKeyMap(),
    queue: new TwoKeyMap(),
  };
  /** The same entries by stage id. */
  private readonly byId: Record<Kind, Array<StageTotals | undefined>> = { span: [], queue: [] };
  /** The summed length of the paths. */
  totalUs = 0;

  get size(): number {
    return this.byKey.span.size + this.byKey.queue.size;
  }

  /** The entry of slot `span` of t, whose stage is `stage`. */
  of(kind: Kind, t: SpanTable, span: number, stage: number): StageTotals {
    const known = this.byId[kind][stage];
    if (known !== undefined) return known;
    const service = t.service[span]!;
    const operation = t.operation[span]!;
    return (this.byId[kind][stage] = this.byKey[kind].add(service, operation, {
      service,
      operation: kind === 'queue' ? `queue ${t.topic[span] ?? ''}`.trim() : operation,
      kind,
      dominatesTraces: 0,
      totalUs: 0,
    }));
  }

  /** Most dominant first, then the most time. */
  result(): PathStageStats[] {
    const totalUs = this.totalUs;
    return [...this.byKey.span.values(), ...this.byKey.queue.values()]
      .map((p) => ({ ...p, share: totalUs > 0 ? round(p.totalUs / totalUs, 3) : 0 }))
      .sort((a, b) => b.dominatesTraces - a.dominatesTraces || b.totalUs - a.totalUs);
  }
}

/**
 * The critical path of each trace and what dominates it, and the time each stage takes on them:
 * `criticalPath`. Told over order traces when there are any; else over the others (GET /order
 * polls and the like).
 */
export class CriticalPathStages {
  private readonly path: PathRecorder;
  private readonly orders = new PathStageTotals();
  private readonly others = new PathStageTotals();
  private readonly traces: TraceCriticalPath[] = [];

  constructor(
    t: SpanTable,
    /** Keep each trace's segments, not only its dominant stage. */
    private readonly keepPaths: boolean,
  ) {
    this.path = new PathRecorder(t);
  }

  /**
   * Walks the critical path of t, of order `orderId` if any; `stageOf` numbers the stage of each
   * slot, below `stageCount`. Odd shapes are warned of in t.warnings.
   */
  add(t: SpanTable, stageOf: Int32Array, stageCount: number, orderId: string | undefined): void {
    const path = this.path;
    path.reset();
    walkCriticalPath(t, t.warnings, path);
    if (path.length === 0) return;
    const totals = orderId !== undefined ? this.orders : this.others;
    let dominant: StageTotals | undefined;
    let dominantUs = -1;
    const stages = path.sumStages(stageOf, stageCount);
    for (let j = 0; j < stages; j++) {
      const { kind, span, us } = path.stageAt(j);
      const stage = totals.of(kind, t, span, stageOf[span]!);
      stage.totalUs += us;
      if (us > dominantUs) {
        dominant = stage;
        dominantUs = us;
      }
    }
    dominant!.dominatesTraces++;
    const durationUs = path.durationUs();
    totals.totalUs += durationUs;
    const dominantKey = {
      service: dominant!.service,
      operation: dominant!.operation,
      kind: dominant!.kind,
      us: dominantUs,
      share: durationUs > 0 ? round(dominantUs / durationUs, 3) : 0,
    };
    const segments = this.keepPaths ? path.segments() : NO_SEGMENTS;
    const traceID = t.traceID;
    this.traces.push(
      orderId !== undefined
        ? { traceID, orderId, durationUs, dominant: dominantKey, segments }
        : { traceID, durationUs, dominant: dominantKey, segments },
    );
  }

  result(): AnalysisReport['criticalPath'] {
    const ordersOnly = this.orders.size > 0;
    return {
      byStage: (ordersOnly ? this.orders : this.others).result(),
      traces: ordersOnly ? this.traces.filter((p) => p.orderId !== undefined) : this.traces,
    };
  }
}
