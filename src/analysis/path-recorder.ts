import type { SpanTable } from './span-table.js';
import type { CriticalPathSegment, CriticalPathKind, Microseconds } from './types.js';

/** One stage's time on a trace's critical path: kind, service and operation of its stretches. */
export interface PathStageTime {
  kind: CriticalPathKind;
  /** The slot the stage's first stretch (in time order) belongs to; for a queue, its consumer. */
  span: number;
  us: Microseconds;
}

/**
 * Records one trace's critical path at a time into buffers reused from trace to trace, then
 * sums it per stage in time order: over 100,000 traces, one object per segment was much of
 * the analysis' cost, and only traces whose segments the report keeps need them.
 */
export class PathRecorder {
  private n = 0;
  private spans = new Int32Array(64);
  private isQueue = new Uint8Array(64);
  private starts = new Float64Array(64);
  private ends = new Float64Array(64);
  private stageCount = 0;
  private readonly stageList: PathStageTime[] = [];
  private where = new Int32Array(0);
  private mark = new Int32Array(0);
  private traces = 0;
  private stack: WalkFrames = newFrames(64);

  constructor(private readonly table: SpanTable) {}

  /** Frames for walking a trace of n spans (its depth is at most n). */
  frames(n: number): WalkFrames {
    if (this.stack.span.length < n) this.stack = newFrames(n * 2);
    return this.stack;
  }

  reset(): void {
    this.n = 0;
    this.stageCount = 0;
  }

  get length(): number {
    return this.n;
  }

  span(s: number, startUs: Microseconds, endUs: Microseconds): void {
    this.push(s, 0, startUs, endUs);
  }

  queue(consumer: number, startUs: Microseconds, endUs: Microseconds): void {
    this.push(consumer, 1, startUs, endUs);
  }

  private push(s: number, queue: number, startUs: Microseconds, endUs: Microseconds) {
    const i = this.n++;
    if (i === this.spans.length) this.grow();
    this.spans[i] = s;
    this.isQueue[i] = queue;
    this.starts[i] = startUs;
    this.ends[i] = endUs;
  }

  private grow(): void {
    const cap = this.spans.length * 2;
    const spans = new Int32Array(cap);
    spans.set(this.spans);
    this.spans = spans;
    const isQueue = new Uint8Array(cap);
    isQueue.set(this.isQueue);
    this.isQueue = isQueue;
    const starts = new Float64Array(cap);
    starts.set(this.starts);
    this.starts = starts;
    const ends = new Float64Array(cap);
    ends.set(this.ends);
    this.ends = ends;
  }

  /** From the path's start to its end. */
  durationUs(): Microseconds {
    return this.n === 0 ? 0 : this.ends[0]! - this.starts[this.n - 1]!;
  }

  /**
   * Sums the time per (kind, service, operation), in the order each stage first appears on the
   * path, and says how many stages there are; read them with stageAt until the next reset.
   * `stageOf` numbers each slot's (service, operation), below `stageCount`.
   */
  sumStages(stageOf: Int32Array, stageCount: number): number {
    const list = this.stageList;
    // Where each (stage, kind) is in the list, for this trace only (its mark is this trace's).
    if (this.where.length < stageCount * 2) {
      this.where = new Int32Array(stageCount * 4);
      this.mark = new Int32Array(stageCount * 4);
    }
    const { where, mark } = this;
    const trace = ++this.traces;
    // Recorded from the end backwards: walk them in time order.
    for (let i = this.n - 1; i >= 0; i--) {
      const s = this.spans[i]!;
      const queue = this.isQueue[i]!;
      const us = this.ends[i]! - this.starts[i]!;
      const key = stageOf[s]! * 2 + queue;
      let j: number;
      if (mark[key] === trace) j = where[key]!;
      else {
        j = this.stageCount++;
        mark[key] = trace;
        where[key] = j;
        const kind: CriticalPathKind = queue ? 'queue' : 'span';
        const e = list[j];
        if (e) {
          e.kind = kind;
          e.span = s;
          e.us = 0;
        } else list.push({ kind, span: s, us: 0 });
      }
      list[j]!.us += us;
    }
    return this.stageCount;
  }

  /** The i-th stage summed by sumStages (an entry reused from trace to trace). */
  stageAt(i: number): PathStageTime {
    return this.stageList[i]!;
  }

  /** The path as segments, in time order. */
  segments(): CriticalPathSegment[] {
    const out: CriticalPathSegment[] = [];
    for (let i = this.n - 1; i >= 0; i--) {
      out.push(
        segmentOf(
          this.table,
          this.spans[i]!,
          this.starts[i]!,
          this.ends[i]!,
          this.isQueue[i] ? 'queue' : 'span',
        ),
      );
    }
    return out;
  }
}

/** The walk's stack, a frame a level: the span, its window, its path so far, its next child. */
export interface WalkFrames {
  readonly span: Int32Array;
  readonly start: Float64Array;
  readonly cursor: Float64Array;
  /** The child last put on the path from this span, or −1. */
  readonly next: Int32Array;
  readonly child: Int32Array;
}

function newFrames(n: number): WalkFrames {
  return {
    span: new Int32Array(n),
    start: new Float64Array(n),
    cursor: new Float64Array(n),
    next: new Int32Array(n),
    child: new Int32Array(n),
  };
}

/** A segment of slot s; a `queue` segment names the consumer and its topic. */
function segmentOf(
  t: SpanTable,
  s: number,
  startUs: Microseconds,
  endUs: Microseconds,
  kind: 'span' | 'queue',
): CriticalPathSegment {
  const segment: CriticalPathSegment = {
    spanID: t.spanID[s]!,
    serviceName: t.service[s]!,
    operationName: t.operation[s]!,
    startUs,
    endUs,
    kind,
  };
  const topic = t.topic[s];
  return kind === 'queue' && topic !== undefined ? { ...segment, topic } : segment;
}
