/**
 * Traces of one service (or one service and operation), ordered by a key (the earliest start
 * among their spans that belong here), so a search walks back from its end time and stops
 * after `limit` hits. Keys and traces are two parallel arrays: the keys are held unboxed, and
 * a trace costs no entry object. Evicted traces are tombstoned and swept out once they are
 * half of the list, which keeps eviction O(1) amortized.
 */
export class TimeIndex<T extends { readonly evicted: boolean }> {
  /** Ascending. */
  keys: number[] = [];
  /** traces[i] has key keys[i]. */
  traces: T[] = [];
  private dead = 0;

  constructor(
    readonly service: string,
    /** Undefined for the service's own index. */
    readonly operation: string | undefined,
  ) {}

  get live(): number {
    return this.traces.length - this.dead;
  }

  insert(trace: T, keyUs: number): void {
    const n = this.keys.length;
    if (n === 0 || this.keys[n - 1]! <= keyUs) {
      this.keys.push(keyUs);
      this.traces.push(trace);
    } else {
      const i = this.upperBound(keyUs);
      this.keys.splice(i, 0, keyUs);
      this.traces.splice(i, 0, trace);
    }
  }

  /** Re-sorts one trace whose key went down (an earlier span arrived late). */
  move(trace: T, oldKeyUs: number, newKeyUs: number): void {
    let i = this.lowerBound(oldKeyUs);
    while (i < this.traces.length && this.traces[i] !== trace) i++;
    if (i < this.traces.length) {
      this.keys.splice(i, 1);
      this.traces.splice(i, 1);
    }
    this.insert(trace, newKeyUs);
  }

  markDead(): void {
    this.dead++;
    if (this.dead > 64 && this.dead * 2 > this.traces.length) {
      let kept = 0;
      for (let i = 0; i < this.traces.length; i++) {
        const trace = this.traces[i]!;
        if (trace.evicted) continue;
        this.keys[kept] = this.keys[i]!;
        this.traces[kept++] = trace;
      }
      this.keys.length = kept;
      this.traces.length = kept;
      this.dead = 0;
    }
  }

  /** First position whose key is greater than keyUs. */
  upperBound(keyUs: number): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid]! <= keyUs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private lowerBound(keyUs: number): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid]! < keyUs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
