import { Column } from './column.js';
import type { Progress } from './column.js';
import type { AnalysisReport } from './report-types.js';
import type { SpanTable } from './span-table.js';
import { summarise } from './stats.js';

/** How many traces and spans, the time they cover, and order traces end to end: `traces`. */
export class TraceWindow {
  private count = 0;
  private spans = 0;
  private fromUs = Infinity;
  private toUs = -Infinity;
  private readonly endToEnd: Column;

  constructor(progress: Progress) {
    this.endToEnd = new Column(progress);
  }

  /** Adds t; an order trace's duration from its root's start counts end to end. */
  add(t: SpanTable, isOrder: boolean): void {
    this.count++;
    this.spans += t.n;
    if (t.n === 0) return;
    if (t.startUs < this.fromUs) this.fromUs = t.startUs;
    if (t.endUs > this.toUs) this.toUs = t.endUs;
    if (isOrder) this.endToEnd.push(t.endUs - t.start[t.root]!);
  }

  result(): AnalysisReport['traces'] {
    return {
      count: this.count,
      spans: this.spans,
      fromUs: Number.isFinite(this.fromUs) ? this.fromUs : 0,
      toUs: Number.isFinite(this.toUs) ? this.toUs : 0,
      endToEnd: summarise(this.endToEnd.values()),
    };
  }
}
