/**
 * Ids → slots: span ids for one trace at a time, emptied in O(1) for the next; or order ids over
 * a whole analysis. An open-addressing table in arrays: a Map per trace (or one cleared per
 * trace) gives the garbage collector a new hash table of each size it grows through, 100,000
 * times over; this allocates nothing once it has grown to the largest trace.
 */
export class IdTable {
  private keys: string[] = [];
  private slots = new Int32Array(64);
  /** Which fill each entry belongs to: entries of an earlier one are empty. */
  private marks = new Int32Array(64);
  private mask = 63;
  private mark = 1;
  private size = 0;
  private readonly hash: (id: string) => number;

  /**
   * `everyCharacter`: hash all of each id (up to 64 characters), for keys that may differ
   * anywhere; else the ends only, enough for the span ids of one trace.
   */
  constructor(everyCharacter = false) {
    this.hash = everyCharacter ? hashAll : hashEnds;
  }

  /** Empties the table, ready for about `expected` ids. */
  reset(expected: number): void {
    if (++this.mark === 0x7fffffff) {
      this.marks.fill(0);
      this.mark = 1;
    }
    this.size = 0;
    if (expected * 2 > this.mask + 1) this.resize(expected * 2);
  }

  /** The slot of `id`, or −1. */
  get(id: string): number {
    let i = this.hash(id) & this.mask;
    while (this.marks[i] === this.mark) {
      if (this.keys[i] === id) return this.slots[i]!;
      i = (i + 1) & this.mask;
    }
    return -1;
  }

  /** Adds `id` at `slot` unless it is there; says whether it was added. */
  add(id: string, slot: number): boolean {
    if ((this.size + 1) * 2 > this.mask + 1) this.resize((this.mask + 1) * 2);
    let i = this.hash(id) & this.mask;
    while (this.marks[i] === this.mark) {
      if (this.keys[i] === id) return false;
      i = (i + 1) & this.mask;
    }
    this.marks[i] = this.mark;
    this.keys[i] = id;
    this.slots[i] = slot;
    this.size++;
    return true;
  }

  private resize(atLeast: number): void {
    let capacity = this.mask + 1;
    while (capacity < atLeast) capacity *= 2;
    const { keys, slots, marks, mark } = this;
    const live = marks.length;
    this.keys = new Array<string>(capacity);
    this.slots = new Int32Array(capacity);
    this.marks = new Int32Array(capacity);
    this.mask = capacity - 1;
    this.mark = 1;
    this.size = 0;
    for (let i = 0; i < live; i++) {
      if (marks[i] === mark) this.add(keys[i]!, slots[i]!);
    }
  }
}

/**
 * A hash of the first four and the last four characters: enough to tell apart the ids of one
 * trace, whether they are random (most tracers), count up at the end, or differ at the start.
 * Two ids that share them only cost a second probe.
 */
function hashEnds(id: string): number {
  const n = id.length;
  let h = n;
  if (n <= 8) {
    for (let i = 0; i < n; i++) h = Math.imul(h, 31) + id.charCodeAt(i);
  } else {
    h = Math.imul(h, 31) + id.charCodeAt(0);
    h = Math.imul(h, 31) + id.charCodeAt(1);
    h = Math.imul(h, 31) + id.charCodeAt(2);
    h = Math.imul(h, 31) + id.charCodeAt(3);
    h = Math.imul(h, 31) + id.charCodeAt(n - 4);
    h = Math.imul(h, 31) + id.charCodeAt(n - 3);
    h = Math.imul(h, 31) + id.charCodeAt(n - 2);
    h = Math.imul(h, 31) + id.charCodeAt(n - 1);
  }
  return mix(h);
}

/** A hash of every character (of 64 spread over a longer id). */
function hashAll(id: string): number {
  const n = id.length;
  let h = n;
  if (n <= 64) {
    for (let i = 0; i < n; i++) h = Math.imul(h, 31) + id.charCodeAt(i);
  } else {
    for (let k = 0; k < 64; k++) h = Math.imul(h, 31) + id.charCodeAt(Math.floor((k * n) / 64));
  }
  return mix(h);
}

/** Mixes the high bits down: the table uses the low ones. */
function mix(h: number): number {
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 13);
}
