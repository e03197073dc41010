/**
 * A map keyed by two strings without building a joined key per lookup: over millions of spans
 * the string concatenation (and hashing each new string) was the largest cost of the analysis.
 * Values come back by first key, then second, each in the order first met.
 */
export class TwoKeyMap<V> {
  private readonly outer = new Map<string, Map<string, V>>();
  /** The inner map of `a`, to look up many b's of one a. */
  inner(a: string): Map<string, V> {
    let inner = this.outer.get(a);
    if (!inner) this.outer.set(a, (inner = new Map<string, V>()));
    return inner;
  }
  find(a: string, b: string): V | undefined {
    return this.outer.get(a)?.get(b);
  }
  add(a: string, b: string, v: V): V {
    this.inner(a).set(b, v);
    return v;
  }
  *values(): IterableIterator<V> {
    for (const inner of this.outer.values()) yield* inner.values();
  }
  get size(): number {
    let n = 0;
    for (const inner of this.outer.values()) n += inner.size;
    return n;
  }
}
