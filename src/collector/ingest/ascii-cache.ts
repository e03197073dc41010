/**
 * What is made of strings that recur on the wire (attribute keys, span names, common values),
 * found by their bytes: a repeat costs a hash of its bytes, and no new string for the garbage
 * collector. Only ASCII is kept, so a string's characters are its bytes and compare in place.
 * Bounded: once full, misses are decoded as before and not kept.
 */
export class AsciiCache<T> {
  private readonly texts: (string | undefined)[];
  private readonly values: (T | undefined)[];
  private readonly hashes: Int32Array;
  private readonly mask: number;
  private size = 0;
  /** The hash of the bytes of the last `find`, for the `add` that follows a miss. */
  private lastHash = 0;

  constructor(
    /** Most strings kept. */
    private readonly capacity: number,
  ) {
    // A table at most half full keeps probe runs short.
    let slots = 16;
    while (slots < capacity * 2) slots *= 2;
    this.texts = new Array<string | undefined>(slots).fill(undefined);
    this.values = new Array<T | undefined>(slots).fill(undefined);
    this.hashes = new Int32Array(slots);
    this.mask = slots - 1;
  }

  /** What was kept for the string whose bytes are buf[start, end), if any. */
  find(buf: Uint8Array, start: number, end: number): T | undefined {
    // FNV-1a.
    let h = 0x811c9dc5 | 0;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    this.lastHash = h;
    const length = end - start;
    for (let slot = h & this.mask; ; slot = (slot + 1) & this.mask) {
      const text = this.texts[slot];
      if (text === undefined) return undefined;
      if (this.hashes[slot] === h && text.length === length && sameChars(text, buf, start)) {
        return this.values[slot];
      }
    }
  }

  /**
   * Keeps `value` for `text`, the string of the bytes the last `find` missed, if ASCII and
   * there is room.
   */
  add(text: string, byteLength: number, value: T): void {
    // Equal lengths in characters and bytes: every byte was below 0x80.
    if (this.size >= this.capacity || text.length !== byteLength) return;
    let slot = this.lastHash & this.mask;
    while (this.texts[slot] !== undefined) slot = (slot + 1) & this.mask;
    this.texts[slot] = text;
    this.values[slot] = value;
    this.hashes[slot] = this.lastHash;
    this.size++;
  }
}

function sameChars(text: string, buf: Uint8Array, start: number): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== buf[start + i]) return false;
  return true;
}
