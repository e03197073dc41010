import { Column } from './column.js';
import type { Progress } from './column.js';
import type { AnalysisReport, ResourceStats } from './report-types.js';
import type { SpanTable } from './span-table.js';
import { round } from '../errors/index.js';
import { summarise } from './stats.js';
import type { Microseconds } from './types.js';

const INTENSITY_ORDER = ['light', 'medium', 'heavy', 'severe'];

/** The mean of a figure's averages over the spans that have one, and its highest maximum. */
class AverageAndPeak {
  private sum = 0;
  /** Spans with an average. */
  n = 0;
  peak: number | null = null;

  /** Adds a span's average and maximum, either NaN where absent. */
  add(avg: number, max: number): void {
    if (avg === avg) {
      this.sum += avg;
      this.n++;
    }
    if (max === max && (this.peak === null || max > this.peak)) this.peak = max;
  }

  mean(): number | null {
    return this.n ? round(this.sum / this.n, 1) : null;
  }
}

/** The resource figures of the workload spans of one operation or one intensity. */
class ResourceFigures {
  count = 0;
  readonly durations: Column;
  private readonly cpu = new AverageAndPeak();
  private readonly memoryMb = new AverageAndPeak();
  private boundN = 0;
  private boundTrue = 0;

  constructor(progress: Progress) {
    this.durations = new Column(progress);
  }

  /** Adds the workload span in slot i of t. */
  add(t: SpanTable, i: number, durationUs: Microseconds) {
    this.count++;
    this.durations.push(durationUs);
    this.cpu.add(t.cpuAvg[i]!, t.cpuMax[i]!);
    this.memoryMb.add(t.memoryAvgMb[i]!, t.memoryMaxMb[i]!);
    const bound = t.cpuBound[i]!;
    if (bound >= 0) {
      this.boundN++;
      if (bound === 1) this.boundTrue++;
    }
  }

  result(key: string): ResourceStats {
    return {
      key,
      count: this.count,
      duration: summarise(this.durations.values()),
      cpuSpans: this.cpu.n,
      cpuAvg: this.cpu.mean(),
      cpuMax: this.cpu.peak,
      memoryAvgMb: this.memoryMb.mean(),
      memoryMaxMb: this.memoryMb.peak,
      cpuBoundShare: this.boundN ? round(this.boundTrue / this.boundN, 3) : null,
    };
  }
}

/** Resource cost of the workload spans, per operation and per intensity: `resources`. */
export class ResourceUse {
  private readonly byOperation = new Map<string, ResourceFigures>();
  private readonly byIntensity = new Map<string, ResourceFigures>();

  constructor(
    private readonly progress: Progress,
    /** Only this service's spans, when set. */
    private readonly only: string | undefined,
  ) {}

  /** Adds the workload spans of t. */
  add(t: SpanTable): void {
    const only = this.only;
    for (let k = 0; k < t.n; k++) {
      const i = t.order[k]!;
      const w = t.workload[i];
      if (w === undefined || (only !== undefined && t.service[i] !== only)) continue;
      const d = t.end[i]! - t.start[i]!;
      this.figuresOf(this.byOperation, w).add(t, i, d);
      const intensity = t.intensity[i];
      if (intensity !== undefined) this.figuresOf(this.byIntensity, intensity).add(t, i, d);
    }
  }

  result(): AnalysisReport['resources'] {
    const rank = (k: string) => {
      const i = INTENSITY_ORDER.indexOf(k);
      return i < 0 ? INTENSITY_ORDER.length : i;
    };
    return {
      byOperation: [...this.byOperation]
        .map(([k, acc]) => acc.result(k))
        .sort((a, b) => (b.cpuAvg ?? 0) - (a.cpuAvg ?? 0)),
      byIntensity: [...this.byIntensity]
        .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
        .map(([k, acc]) => acc.result(k)),
    };
  }

  private figuresOf(map: Map<string, ResourceFigures>, key: string): ResourceFigures {
    let figures = map.get(key);
    if (figures === undefined) map.set(key, (figures = new ResourceFigures(this.progress)));
    return figures;
  }
}
