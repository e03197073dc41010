/**
 * The running scenario, as the lab holds it (`up`'s admin endpoint, `/scenario`): any terminal
 * (and the web UI) reads it to hint, grade and reveal.
 */
export interface ScenarioRecord {
  readonly id: string;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly hintsShown: number;
  /** The mystery's seed; null for a scenario chosen by id. */
  readonly seed: number | null;
  /** Picked at random: listings do not name it until it is answered or revealed. */
  readonly mystery: boolean;
  /** The trace of each order it sent. */
  readonly traceIds: readonly string[];
  /** What `scenario stop` switches back: the values before the scenario changed them. */
  readonly restore: Restore;
}

export interface Restore {
  /** `<service>.<kind>=<value>` (or `=off`) as they were. */
  readonly faults: readonly string[];
  /** null: back to what up's flags say. */
  readonly intensities: Readonly<Record<string, string | null>>;
  readonly replicas: Readonly<Record<string, number>>;
  /** The run-time resilience settings (`k=v`) before; absent when the scenario set none. */
  readonly resilience?: readonly string[];
  /** The autoscaled service's bounds before (null: not autoscaled); absent when none was set. */
  readonly autoscale?: {
    readonly service: string;
    readonly bounds: { readonly min: number; readonly max: number } | null;
  };
}
