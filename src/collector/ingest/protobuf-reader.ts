/**
 * A protobuf wire-format reader over one buffer: varints, fixed-width numbers and
 * length-delimited fields, read in place. The span decoder walks OTLP messages with it
 * directly into the collector's records, with no intermediate message objects.
 */

import type { AsciiCache } from './ascii-cache.js';

/** Wire types of the protobuf encoding. */
export const VARINT = 0;
export const FIXED64 = 1;
export const LENGTH_DELIMITED = 2;
export const FIXED32 = 5;

/** The buffer does not hold a well-formed message. */
export class WireError extends Error {}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export class ProtobufReader {
  pos: number;
  /** The 32 high bits of the last `varint64` or `fixed64` read (the low ones are returned). */
  high = 0;

  constructor(
    readonly buf: Buffer,
    start = 0,
    /** Where the message being read ends. */
    public end = buf.length,
  ) {
    this.pos = start;
  }

  /** A field's tag: field number × 8 + wire type. */
  tag(): number {
    return this.uint32();
  }

  /** A varint, kept to its low 32 bits as an unsigned number (lengths, tags, enums, uint32). */
  uint32(): number {
    const buf = this.buf;
    let value = 0;
    let shift = 0;
    while (shift < 70) {
      if (this.pos >= this.end) throw new WireError(`truncated varint at offset ${this.pos}`);
      const b = buf[this.pos++]!;
      if (shift < 32) value |= (b & 0x7f) << shift;
      if (b < 0x80) return value >>> 0;
      shift += 7;
    }
    throw new WireError(`varint longer than 10 bytes at offset ${this.pos}`);
  }

  /** A 64-bit varint: returns the low 32 bits unsigned, `high` holds the high 32 (signed). */
  varint64(): number {
    const buf = this.buf;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireError(`truncated varint at offset ${this.pos}`);
      const b = buf[this.pos++]!;
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if (b < 0x80) {
        this.high = hi | 0;
        return lo >>> 0;
      }
    }
    throw new WireError(`varint longer than 10 bytes at offset ${this.pos}`);
  }

  fixed32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Returns the low 32 bits unsigned; `high` holds the high 32 (unsigned). */
  fixed64(): number {
    this.need(8);
    const lo = this.buf.readUInt32LE(this.pos);
    this.high = this.buf.readUInt32LE(this.pos + 4);
    this.pos += 8;
    return lo;
  }

  double(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** Reads a length prefix; returns where the field's bytes end (they start at `pos`). */
  delimited(): number {
    const length = this.uint32();
    this.need(length);
    return this.pos + length;
  }

  /** A reader over the embedded message here; this reader moves past it. */
  message(): ProtobufReader {
    const end = this.delimited();
    const inner = new ProtobufReader(this.buf, this.pos, end);
    this.pos = end;
    return inner;
  }

  /**
   * Narrows this reader to the embedded message here, as `message` would read it, without a
   * reader per message (spans and attributes are many); returns the outer end for `leave`.
   */
  enter(): number {
    const end = this.delimited();
    const outer = this.end;
    this.end = end;
    return outer;
  }

  /** Moves past the message `enter` narrowed to, back in the one around it. */
  leave(outer: number): void {
    this.pos = this.end;
    this.end = outer;
  }

  /** A length-delimited field as UTF-8 text; invalid UTF-8 is refused, as protobuf requires. */
  string(): string {
    const end = this.delimited();
    const start = this.pos;
    this.pos = end;
    return this.utf8(start, end);
  }

  /**
   * What `make` makes of a length-delimited string (an interned copy, an attribute key's
   * record), taken from `cache` when it holds these bytes: a repeat costs no string.
   */
  cached<T>(cache: AsciiCache<T>, make: (text: string) => T): T {
    const end = this.delimited();
    const start = this.pos;
    this.pos = end;
    const found = cache.find(this.buf, start, end);
    if (found !== undefined) return found;
    const text = this.utf8(start, end);
    const value = make(text);
    cache.add(text, end - start, value);
    return value;
  }

  private utf8(start: number, end: number): string {
    const buf = this.buf;
    for (let i = start; i < end; i++) {
      if (buf[i]! >= 0x80) {
        try {
          return strictUtf8.decode(buf.subarray(start, end));
        } catch {
          throw new WireError(`invalid UTF-8 in a string at offset ${start}`);
        }
      }
    }
    return buf.toString('latin1', start, end);
  }

  /** Skips a field of the given wire type. */
  skip(wireType: number): void {
    switch (wireType) {
      case VARINT:
        this.varint64();
        return;
      case FIXED64:
        this.need(8);
        this.pos += 8;
        return;
      case LENGTH_DELIMITED:
        this.pos = this.delimited();
        return;
      case FIXED32:
        this.need(4);
        this.pos += 4;
        return;
      default:
        throw new WireError(`invalid wire type ${wireType} at offset ${this.pos}`);
    }
  }

  private need(bytes: number): void {
    if (this.pos + bytes > this.end) {
      throw new WireError(`index out of range: ${this.pos} + ${bytes} > ${this.end}`);
    }
  }
}
