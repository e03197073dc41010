import { Column } from './column.js';
import type { Progress } from './column.js';
import type { StageStats } from './report-types.js';
import type { SpanTable } from './span-table.js';
import { summarise } from './stats.js';
import { TwoKeyMap } from './two-key-map.js';

interface StageKey {
  readonly service: string;
  readonly operation: string;
  readonly id: number;
}

/** The duration of every span per stage (service and operation): the report's `stages`. */
export class StageDurations {
  /** The stages in the order of the report: by service, then operation, each as first met. */
  private readonly keys = new TwoKeyMap<StageKey>();
  /** Durations by stage id. */
  private readonly durations: Array<Column | undefined> = [];

  constructor(
    private readonly progress: Progress,
    /** Only this service's spans, when set. */
    private readonly only: string | undefined,
  ) {}

  /** Adds the spans of t, whose stages `stageOf` numbers. */
  add(t: SpanTable, stageOf: Int32Array): void {
    const only = this.only;
    for (let k = 0; k < t.n; k++) {
      const i = t.order[k]!;
      const service = t.service[i]!;
      if (only !== undefined && service !== only) continue;
      const stage = stageOf[i]!;
      let durations = this.durations[stage];
      if (durations === undefined) {
        this.durations[stage] = durations = new Column(this.progress);
        const operation = t.operation[i]!;
        this.keys.add(service, operation, { service, operation, id: stage });
      }
      durations.push(t.end[i]! - t.start[i]!);
    }
  }

  result(): StageStats[] {
    return [...this.keys.values()]
      .map((s) => ({
        service: s.service,
        operation: s.operation,
        duration: summarise(this.durations[s.id]!.values()),
      }))
      .sort((a, b) => a.service.localeCompare(b.service) || b.duration.p50Us - a.duration.p50Us);
  }
}
