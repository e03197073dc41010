import { SpanStatusCode } from '@opentelemetry/api';
import type { AttributeValue, Attributes, HrTime, Link } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';

/**
 * OTLP ExportTraceServiceRequest (protobuf) from finished spans, in one pass. The SDK's own
 * serializer encodes every span twice (once to size the buffer) and every attribute key on
 * every span; each service serialises all its spans on the event loop that handles orders.
 * This one writes once into a growing buffer and keeps what repeats: the resource and scope
 * messages, the encoded keys, and whole key-values that have few distinct values
 * (`messaging.system = redis`). The message is the same: test/telemetry-serializer.test.ts
 * decodes both and compares.
 */
export function serializeSpans(spans: readonly ReadableSpan[]): Uint8Array {
  const w = writer;
  w.pos = 0;
  // Spans grouped by resource, then by scope, as the message nests them.
  const byResource = new Map<object, Map<object, ReadableSpan[]>>();
  for (const span of spans) {
    let scopes = byResource.get(span.resource);
    if (!scopes) byResource.set(span.resource, (scopes = new Map<object, ReadableSpan[]>()));
    let list = scopes.get(span.instrumentationScope);
    if (!list) scopes.set(span.instrumentationScope, (list = []));
    list.push(span);
  }
  for (const scopes of byResource.values()) {
    w.tag(1, LEN);
    const resourceSpans = w.begin();
    const first = scopes.values().next().value![0]!;
    w.raw(resourceBytes(first));
    for (const list of scopes.values()) {
      w.tag(2, LEN);
      const scopeSpans = w.begin();
      w.raw(scopeBytes(list[0]!));
      for (const span of list) writeSpan(w, span);
      w.end(scopeSpans);
    }
    w.end(resourceSpans);
  }
  // A copy: the buffer is reused by the next export.
  return Buffer.from(w.buf.subarray(0, w.pos));
}

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

/** Span flags: the trace flags, and whether the parent was remote (known, so bit 8 is set). */
function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | 0x100 | (isRemote ? 0x200 : 0);
}

class Writer {
  buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  /** An unsigned varint below 2^32. */
  varint(v: number): void {
    this.ensure(5);
    const buf = this.buf;
    while (v > 0x7f) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.pos++] = v;
  }

  /** A 64-bit varint from its unsigned 32-bit halves. */
  varint64(lo: number, hi: number): void {
    this.ensure(10);
    const buf = this.buf;
    while (hi !== 0 || lo > 0x7f) {
      buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[this.pos++] = lo;
  }

  fixed32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }

  /** Nanoseconds since the epoch from [seconds, nanoseconds], exactly (1e9 = 2^9 × 1953125). */
  time(t: HrTime): void {
    const m = t[0] * 1953125 + Math.floor(t[1] / 512);
    const lo = (m % 8388608) * 512 + (t[1] % 512);
    this.ensure(8);
    this.buf.writeUInt32LE(lo, this.pos);
    this.buf.writeUInt32LE(Math.floor(m / 8388608), this.pos + 4);
    this.pos += 8;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** A length-delimited id from its hex digits. */
  hexBytes(hex: string): void {
    const bytes = hex.length >>> 1;
    this.varint(bytes);
    this.ensure(bytes);
    this.pos += this.buf.write(hex, this.pos, bytes, 'hex');
  }

  string(s: string): void {
    const start = this.begin();
    this.ensure(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
    this.end(start);
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  raw(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  /** Starts a length-delimited field: one byte kept for its length, moved over if it needs more. */
  begin(): number {
    this.ensure(1);
    return this.pos++;
  }

  end(start: number): void {
    const length = this.pos - start - 1;
    if (length < 0x80) {
      this.buf[start] = length;
      return;
    }
    const size = length < 1 << 14 ? 2 : length < 1 << 21 ? 3 : length < 1 << 28 ? 4 : 5;
    this.ensure(size - 1);
    this.buf.copyWithin(start + size, start + 1, this.pos);
    const end = this.pos + size - 1;
    this.pos = start;
    this.varint(length);
    this.pos = end;
  }
}

const writer = new Writer(64 * 1024);

function writeSpan(w: Writer, span: ReadableSpan): void {
  w.tag(2, LEN);
  const start = w.begin();
  const ctx = span.spanContext();
  w.tag(1, LEN);
  w.hexBytes(ctx.traceId);
  w.tag(2, LEN);
  w.hexBytes(ctx.spanId);
  const traceState = ctx.traceState?.serialize();
  if (traceState) {
    w.tag(3, LEN);
    w.string(traceState);
  }
  const parent = span.parentSpanContext;
  if (parent?.spanId) {
    w.tag(4, LEN);
    w.hexBytes(parent.spanId);
  }
  w.tag(5, LEN);
  w.raw(nameBytes(span.name));
  // SpanKind is one more on the wire: 0 there means unspecified.
  w.tag(6, VARINT);
  w.varint(span.kind + 1);
  w.tag(7, FIXED64);
  w.time(span.startTime);
  w.tag(8, FIXED64);
  w.time(span.endTime);
  writeSpanAttributes(w, span.attributes);
  if (span.droppedAttributesCount) {
    w.tag(10, VARINT);
    w.varint(span.droppedAttributesCount);
  }
  for (const event of span.events) writeEvent(w, event);
  if (span.droppedEventsCount) {
    w.tag(12, VARINT);
    w.varint(span.droppedEventsCount);
  }
  for (const link of span.links) writeLink(w, link);
  if (span.droppedLinksCount) {
    w.tag(14, VARINT);
    w.varint(span.droppedLinksCount);
  }
  if (span.status.code !== SpanStatusCode.UNSET || span.status.message) {
    w.tag(15, LEN);
    const status = w.begin();
    if (span.status.message) {
      w.tag(2, LEN);
      w.string(span.status.message);
    }
    w.tag(3, VARINT);
    w.varint(span.status.code);
    w.end(status);
  }
  w.tag(16, FIXED32);
  w.fixed32(spanFlags(ctx.traceFlags, parent?.isRemote));
  w.end(start);
}

function writeEvent(w: Writer, event: TimedEvent): void {
  w.tag(11, LEN);
  const start = w.begin();
  w.tag(1, FIXED64);
  w.time(event.time);
  w.tag(2, LEN);
  w.string(event.name);
  if (event.attributes) writeAttributes(w, event.attributes, 3);
  if (event.droppedAttributesCount) {
    w.tag(4, VARINT);
    w.varint(event.droppedAttributesCount);
  }
  w.end(start);
}

function writeLink(w: Writer, link: Link): void {
  w.tag(13, LEN);
  const start = w.begin();
  w.tag(1, LEN);
  w.hexBytes(link.context.traceId);
  w.tag(2, LEN);
  w.hexBytes(link.context.spanId);
  const traceState = link.context.traceState?.serialize();
  if (traceState) {
    w.tag(3, LEN);
    w.string(traceState);
  }
  if (link.attributes) writeAttributes(w, link.attributes, 4);
  if (link.droppedAttributesCount) {
    w.tag(5, VARINT);
    w.varint(link.droppedAttributesCount);
  }
  w.tag(6, FIXED32);
  w.fixed32(spanFlags(link.context.traceFlags, link.context.isRemote));
  w.end(start);
}

function writeAttributes(w: Writer, attributes: Attributes, field: number): void {
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    w.tag(field, LEN);
    const start = w.begin();
    writeKeyValue(w, key, attributes[key]);
    w.end(start);
  }
}

function writeKeyValue(w: Writer, key: string, value: unknown): void {
  w.tag(1, LEN);
  w.string(key);
  w.tag(2, LEN);
  const start = w.begin();
  writeAnyValue(w, value);
  w.end(start);
}

/** Span attributes: a whole key-value from the cache when its key has few values. */
function writeSpanAttributes(w: Writer, attributes: Attributes): void {
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    const value = attributes[key];
    const t = typeof value;
    const cached =
      t === 'string' || t === 'number' || t === 'boolean'
        ? keyValueBytes(key, value as string | number | boolean)
        : undefined;
    if (cached) {
      w.raw(cached);
      continue;
    }
    w.tag(9, LEN);
    const start = w.begin();
    writeKeyValue(w, key, value);
    w.end(start);
  }
}

const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

/** The SDK's mapping: integers in range as int64, other numbers as double, arrays, maps, bytes. */
function writeAnyValue(w: Writer, value: unknown): void {
  switch (typeof value) {
    case 'string':
      w.tag(1, LEN);
      w.string(value);
      return;
    case 'boolean':
      w.tag(2, VARINT);
      w.varint(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
        w.tag(3, VARINT);
        const hi = Math.floor(value / 4294967296);
        w.varint64((value - hi * 4294967296) >>> 0, hi >>> 0);
      } else {
        w.tag(4, FIXED64);
        w.double(value);
      }
      return;
    case 'object':
      if (value === null) return;
      if (value instanceof Uint8Array) {
        w.tag(7, LEN);
        w.bytes(value);
      } else if (Array.isArray(value)) {
        w.tag(5, LEN);
        const array = w.begin();
        for (const item of value as AttributeValue[]) {
          w.tag(1, LEN);
          const start = w.begin();
          writeAnyValue(w, item);
          w.end(start);
        }
        w.end(array);
      } else {
        w.tag(6, LEN);
        const list = w.begin();
        const map = value as Record<string, unknown>;
        for (const k in map) {
          if (!Object.hasOwn(map, k)) continue;
          w.tag(1, LEN);
          const start = w.begin();
          writeKeyValue(w, k, map[k]);
          w.end(start);
        }
        w.end(list);
      }
      return;
    default:
    // Anything else has no AnyValue: an empty one, as the SDK writes.
  }
}

/** Encodes with a writer of its own, for the caches. */
function encode(fill: (w: Writer) => void): Buffer {
  const w = new Writer(256);
  fill(w);
  return Buffer.from(w.buf.subarray(0, w.pos));
}

const MAX_CACHED = 10_000;
/** Past this many distinct values a key is taken for an identifier and not cached. */
const MAX_VALUES_PER_KEY = 64;

const names = new Map<string, Buffer>();

/** A span name as a length-delimited string. */
function nameBytes(name: string): Buffer {
  let b = names.get(name);
  if (b === undefined) {
    b = encode((w) => w.string(name));
    if (names.size < MAX_CACHED) names.set(name, b);
  }
  return b;
}

const keyValues = new Map<string, Map<string | number | boolean, Buffer> | null>();

/**
 * Field 9 (a span attribute) with its key-value, whole, while its key has few values;
 * undefined for an identifier's, which is written where it goes.
 */
function keyValueBytes(key: string, value: string | number | boolean): Buffer | undefined {
  let values = keyValues.get(key);
  if (values === null) return undefined;
  const cached = values?.get(value);
  if (cached !== undefined) return cached;
  if (values === undefined) {
    if (keyValues.size >= MAX_CACHED) return undefined;
    keyValues.set(key, (values = new Map()));
  }
  if (values.size >= MAX_VALUES_PER_KEY) {
    keyValues.set(key, null);
    return undefined;
  }
  const b = encode((w) => {
    w.tag(9, LEN);
    const start = w.begin();
    writeKeyValue(w, key, value);
    w.end(start);
  });
  values.set(value, b);
  return b;
}

const resources = new WeakMap<object, Buffer>();

/** Field 1 of ResourceSpans: the Resource, encoded once per resource. */
function resourceBytes(span: ReadableSpan): Buffer {
  let b = resources.get(span.resource);
  if (b === undefined) {
    // Detection may finish later (asynchronous detectors): only a settled resource is kept.
    const settled = !span.resource.asyncAttributesPending;
    b = encode((w) => {
      w.tag(1, LEN);
      const start = w.begin();
      writeAttributes(w, span.resource.attributes, 1);
      w.end(start);
    });
    if (settled) resources.set(span.resource, b);
  }
  return b;
}

const scopes = new WeakMap<object, Buffer>();

/** Field 1 of ScopeSpans: the InstrumentationScope, encoded once per scope. */
function scopeBytes(span: ReadableSpan): Buffer {
  const scope = span.instrumentationScope;
  let b = scopes.get(scope);
  if (b === undefined) {
    b = encode((w) => {
      w.tag(1, LEN);
      const start = w.begin();
      w.tag(1, LEN);
      w.string(scope.name);
      if (scope.version) {
        w.tag(2, LEN);
        w.string(scope.version);
      }
      w.end(start);
    });
    scopes.set(scope, b);
  }
  return b;
}
