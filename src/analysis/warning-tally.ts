import type { AnalysisReport } from './report-types.js';
import type { AnalysisWarning } from './types.js';

const WARNING_SAMPLES = 50;

/** The warnings met, counted by code, the first few kept as samples: `warnings`. */
export class WarningTally {
  private total = 0;
  private readonly byCode: Record<string, number> = {};
  private readonly samples: AnalysisWarning[] = [];
  /** Spans whose parent is not in their trace. */
  orphanSpans = 0;

  add(w: AnalysisWarning): void {
    this.total++;
    this.byCode[w.code] = (this.byCode[w.code] ?? 0) + 1;
    if (w.code === 'missing-parent') this.orphanSpans++;
    if (this.samples.length < WARNING_SAMPLES) this.samples.push(w);
  }

  result(): AnalysisReport['warnings'] {
    return { total: this.total, byCode: this.byCode, samples: this.samples };
  }
}
