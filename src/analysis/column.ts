/** How far through its traces an analysis is: what a Column projects its final length from. */
export interface Progress {
  /** Traces read so far, the one being read included. */
  done: number;
  readonly total: number;
}

/**
 * A list of numbers (durations, times, trace numbers) over a whole analysis, kept unboxed in one
 * plain array. It grows to where it is heading at its rate so far, so it grows once or twice
 * instead of twenty times: over 100,000 traces, each step left its old array behind for the
 * garbage collector. Plain rather than typed arrays: typed arrays live outside the heap, and
 * tens of megabytes of that make V8 start a major collection, which marks the whole heap (in
 * the collector, gigabytes of stored traces).
 */
export class Column {
  length = 0;
  private data = filled(16);

  constructor(private readonly progress: Progress) {}

  push(v: number): void {
    if (this.length === this.data.length) this.grow();
    this.data[this.length++] = v;
  }

  at(i: number): number {
    return this.data[i]!;
  }

  /** The numbers, trimmed to the list; push no more after this. */
  values(): number[] {
    this.data.length = this.length;
    return this.data;
  }

  private grow(): void {
    const { done, total } = this.progress;
    const projected = Math.ceil((this.length / Math.max(1, done)) * total * 1.1) + 16;
    const data = filled(Math.max(this.length * 2, projected));
    for (let i = 0; i < this.length; i++) data[i] = this.data[i]!;
    this.data = data;
  }
}

/**
 * An array of n numbers that holds them unboxed from the start. Durations come as doubles; an
 * array that starts as small integers changes kind at the first one, and a push site that meets
 * arrays of both kinds boxes every number it stores.
 */
function filled(n: number): number[] {
  const a = [0.5];
  a.length = n;
  return a;
}
