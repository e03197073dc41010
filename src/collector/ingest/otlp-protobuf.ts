import { CollectorError } from '../errors.js';
import { attribute, attributeKey, internName } from '../store/intern.js';
import type { AttributeKey } from '../store/intern.js';
import { exactJson } from '../store/int64.js';
import { NO_SERVICE_NAME } from '../store/span-record.js';
import type {
  Attribute,
  InstrumentationScope,
  ProcessResource,
  SpanEvent,
  SpanKindName,
  SpanLink,
  SpanRecord,
} from '../store/span-record.js';
import { AsciiCache } from './ascii-cache.js';
import type { DecodedExport } from './otlp-json.js';
import {
  bigInt64,
  durationOfNanos,
  EMPTY,
  EXPECTED_STATUS_CODE,
  idProblem,
  isExactHigh,
  microsOfNanos,
  parentOf,
  processResource,
  Rejections,
  SPAN_KINDS,
  STATUS_CODES,
} from './otlp-values.js';
import {
  FIXED32,
  FIXED64,
  LENGTH_DELIMITED,
  ProtobufReader,
  VARINT,
  WireError,
} from './protobuf-reader.js';

/**
 * Decodes a binary ExportTraceServiceRequest straight from the wire into span records: no
 * message objects, Longs or byte arrays on the way, and what repeats (names, keys, common
 * attributes) shared. Ingest is the collector's hot path, and every span it allocates for
 * nothing is garbage collected on the cores the traced services share. Throws
 * OTLP_MALFORMED_BODY if the body is not a well-formed request.
 */
export function decodeOtlpProtobuf(body: Uint8Array): DecodedExport {
  const buf = Buffer.isBuffer(body)
    ? body
    : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const out: Decoding = { spans: [], rejections: new Rejections('span(s)') };
  try {
    const r = new ProtobufReader(buf);
    let index = 0;
    while (r.pos < r.end) {
      const tag = r.tag();
      if (tag === ((1 << 3) | LENGTH_DELIMITED)) readResourceSpans(r.message(), index++, out);
      else r.skip(tag & 7);
    }
  } catch (err) {
    if (err instanceof WireError) {
      throw new CollectorError(
        'OTLP_MALFORMED_BODY',
        `malformed protobuf ExportTraceServiceRequest: ${err.message}`,
      );
    }
    throw err;
  }
  return {
    spans: out.spans,
    rejectedSpans: out.rejections.count,
    errorMessage: out.rejections.message(),
  };
}

interface Decoding {
  readonly spans: SpanRecord[];
  readonly rejections: Rejections;
}

/** Field ranges to read once the message's other fields are known (they may come in any order). */
function collect(ranges: number[], r: ProtobufReader): void {
  const end = r.delimited();
  ranges.push(r.pos, end);
  r.pos = end;
}

function readResourceSpans(r: ProtobufReader, index: number, out: Decoding): void {
  let resource: ProcessResource = { serviceName: NO_SERVICE_NAME, attributes: EMPTY };
  const scopeSpans: number[] = [];
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === ((1 << 3) | LENGTH_DELIMITED)) resource = readResource(r.message());
    else if (tag === ((2 << 3) | LENGTH_DELIMITED)) collect(scopeSpans, r);
    else r.skip(tag & 7);
  }
  for (let i = 0; i < scopeSpans.length; i += 2) {
    const where = `resourceSpans[${index}].scopeSpans[${i / 2}]`;
    readScopeSpans(
      new ProtobufReader(r.buf, scopeSpans[i], scopeSpans[i + 1]),
      where,
      resource,
      out,
    );
  }
}

function readResource(r: ProtobufReader): ProcessResource {
  const attributes: Attribute[] = [];
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === ((1 << 3) | LENGTH_DELIMITED)) attributes.push(readKeyValue(r));
    else r.skip(tag & 7);
  }
  return processResource(attributes);
}

function readScopeSpans(
  r: ProtobufReader,
  where: string,
  resource: ProcessResource,
  out: Decoding,
): void {
  let scope: InstrumentationScope = NO_SCOPE;
  const spans: number[] = [];
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === ((1 << 3) | LENGTH_DELIMITED)) scope = readScope(r.message());
    else if (tag === ((2 << 3) | LENGTH_DELIMITED)) collect(spans, r);
    else r.skip(tag & 7);
  }
  // One reader moved from span to span: a span costs no reader of its own.
  const span = new ProtobufReader(r.buf);
  for (let i = 0; i < spans.length; i += 2) {
    span.pos = spans[i]!;
    span.end = spans[i + 1]!;
    const result = readSpan(span, scope, resource, where, i / 2);
    if (typeof result === 'string') out.rejections.add(`${where}.spans[${i / 2}]`, result);
    else out.spans.push(result);
  }
}

/*
 * What repeats from span to span is found by its bytes, so it costs no string to decode and
 * drop; misses go to the intern tables shared with the JSON decoder.
 */
const KEYS = new AsciiCache<AttributeKey>(2048);
const NAMES = new AsciiCache<string>(2048);
const VALUES = new AsciiCache<string>(4096);
const asIs = (text: string): string => text;

const NO_SCOPE: InstrumentationScope = { name: '', version: '' };

function readScope(r: ProtobufReader): InstrumentationScope {
  let name = '';
  let version = '';
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === ((1 << 3) | LENGTH_DELIMITED)) name = r.cached(NAMES, internName);
    else if (tag === ((2 << 3) | LENGTH_DELIMITED)) version = r.cached(NAMES, internName);
    else r.skip(tag & 7);
  }
  return name === '' && version === '' ? NO_SCOPE : { name, version };
}

/** '' when absent or empty; undefined when not `bytes` long; else lowercase hex. */
function readId(r: ProtobufReader, bytes: number): string | undefined {
  const end = r.delimited();
  const start = r.pos;
  r.pos = end;
  if (end === start) return '';
  if (end - start !== bytes) return undefined;
  return r.buf.toString('hex', start, end);
}

/** A span's fields as read off the wire, before they are checked. */
interface WireSpan {
  traceId: string | undefined;
  spanId: string | undefined;
  parentSpanId: string | undefined;
  traceState: string;
  name: string;
  kind: number;
  startLo: number;
  startHi: number;
  endLo: number;
  endHi: number;
  /** How many of SPAN_ATTRIBUTES, SPAN_EVENTS are this span's. */
  attributeCount: number;
  eventCount: number;
  links: SpanLink[] | undefined;
  statusCode: number;
  statusMessage: string;
  flags: number;
}

/**
 * The span being read, and the attributes and events read so far (a span's are sliced off at
 * its end, exactly as many as it has): one of each for every span, since spans are read one
 * at a time.
 */
const WIRE: WireSpan = {
  traceId: '',
  spanId: '',
  parentSpanId: '',
  traceState: '',
  name: '',
  kind: 0,
  startLo: 0,
  startHi: 0,
  endLo: 0,
  endHi: 0,
  attributeCount: 0,
  eventCount: 0,
  links: undefined,
  statusCode: 0,
  statusMessage: '',
  flags: 0,
};
const SPAN_ATTRIBUTES: Attribute[] = [];
const SPAN_EVENTS: SpanEvent[] = [];
const EVENT_ATTRIBUTES: Attribute[] = [];

/** The first `count` of `scratch`, in an array of their own (EMPTY when none). */
function taken<T>(scratch: T[], count: number): readonly T[] {
  if (count === 0) return EMPTY;
  const own = scratch.slice(0, count);
  // A span with very many attributes does not keep its scratch large afterwards.
  if (scratch.length > 1024) scratch.length = 0;
  return own;
}

/** Returns the rejection reason as a string, or the span (spans[index] of `where`). */
function readSpan(
  r: ProtobufReader,
  scope: InstrumentationScope,
  resource: ProcessResource,
  where: string,
  index: number,
): SpanRecord | string {
  const f = readSpanFields(r);
  const problem = idProblem(f.traceId, f.spanId, f.parentSpanId);
  if (problem !== undefined) return problem;
  const status = STATUS_CODES[f.statusCode];
  if (status === undefined) {
    throw new CollectorError(
      'OTLP_MALFORMED_BODY',
      `${where}.spans[${index}].status.code: ${EXPECTED_STATUS_CODE}`,
    );
  }
  return {
    traceId: f.traceId!,
    spanId: f.spanId!,
    parentSpanId: parentOf(f.parentSpanId!),
    name: f.name,
    kind: SPAN_KINDS[f.kind] ?? ('unspecified' satisfies SpanKindName),
    startUs: microsOfNanos(f.startLo, f.startHi),
    durationUs: durationOfNanos(f.startLo, f.startHi, f.endLo, f.endHi),
    attributes: taken(SPAN_ATTRIBUTES, f.attributeCount),
    events: taken(SPAN_EVENTS, f.eventCount),
    links: f.links ?? EMPTY,
    statusCode: status,
    statusMessage: f.statusMessage,
    traceState: f.traceState,
    flags: f.flags,
    scope,
    resource,
  };
}

function readSpanFields(r: ProtobufReader): WireSpan {
  const f = WIRE;
  f.traceId = '';
  f.spanId = '';
  f.parentSpanId = '';
  f.traceState = '';
  f.name = '';
  f.kind = 0;
  f.startLo = 0;
  f.startHi = 0;
  f.endLo = 0;
  f.endHi = 0;
  f.attributeCount = 0;
  f.eventCount = 0;
  f.links = undefined;
  f.statusCode = 0;
  f.statusMessage = '';
  f.flags = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | LENGTH_DELIMITED:
        f.traceId = readId(r, 16);
        break;
      case (2 << 3) | LENGTH_DELIMITED:
        f.spanId = readId(r, 8);
        break;
      case (3 << 3) | LENGTH_DELIMITED:
        f.traceState = r.string();
        break;
      case (4 << 3) | LENGTH_DELIMITED:
        f.parentSpanId = readId(r, 8);
        break;
      case (5 << 3) | LENGTH_DELIMITED:
        f.name = r.cached(NAMES, internName);
        break;
      case (6 << 3) | VARINT:
        f.kind = r.uint32() | 0;
        break;
      case (7 << 3) | FIXED64:
        f.startLo = r.fixed64();
        f.startHi = r.high;
        break;
      case (8 << 3) | FIXED64:
        f.endLo = r.fixed64();
        f.endHi = r.high;
        break;
      case (9 << 3) | LENGTH_DELIMITED:
        SPAN_ATTRIBUTES[f.attributeCount++] = readKeyValue(r);
        break;
      case (11 << 3) | LENGTH_DELIMITED: {
        const outer = r.enter();
        SPAN_EVENTS[f.eventCount++] = readEvent(r);
        r.leave(outer);
        break;
      }
      case (13 << 3) | LENGTH_DELIMITED: {
        const outer = r.enter();
        const link = readLink(r);
        r.leave(outer);
        // A link to nothing says nothing; drop it rather than the span that carries it.
        if (link) (f.links ??= []).push(link);
        break;
      }
      case (15 << 3) | LENGTH_DELIMITED:
        readStatus(r, f);
        break;
      case (16 << 3) | FIXED32:
        f.flags = r.fixed32();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return f;
}

/** Status (the reader is at its length prefix): its message and code into the span's fields. */
function readStatus(r: ProtobufReader, f: WireSpan): void {
  const end = r.delimited();
  while (r.pos < end) {
    const t = r.tag();
    if (t === ((2 << 3) | LENGTH_DELIMITED)) f.statusMessage = r.string();
    else if (t === ((3 << 3) | VARINT)) f.statusCode = r.uint32() | 0;
    else r.skip(t & 7);
  }
  if (r.pos !== end) throw new WireError(`status overruns its length at offset ${r.pos}`);
}

function readEvent(r: ProtobufReader): SpanEvent {
  let timeLo = 0;
  let timeHi = 0;
  let name = '';
  let count = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === ((1 << 3) | FIXED64)) {
      timeLo = r.fixed64();
      timeHi = r.high;
    } else if (tag === ((2 << 3) | LENGTH_DELIMITED)) name = r.cached(NAMES, internName);
    else if (tag === ((3 << 3) | LENGTH_DELIMITED)) EVENT_ATTRIBUTES[count++] = readKeyValue(r);
    else r.skip(tag & 7);
  }
  const attributes = taken(EVENT_ATTRIBUTES, count);
  return { timeUs: microsOfNanos(timeLo, timeHi), name, attributes };
}

function readLink(r: ProtobufReader): SpanLink | undefined {
  let traceId: string | undefined = '';
  let spanId: string | undefined = '';
  let attributes: Attribute[] | undefined;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === ((1 << 3) | LENGTH_DELIMITED)) traceId = readId(r, 16);
    else if (tag === ((2 << 3) | LENGTH_DELIMITED)) spanId = readId(r, 8);
    else if (tag === ((4 << 3) | LENGTH_DELIMITED)) (attributes ??= []).push(readKeyValue(r));
    else r.skip(tag & 7);
  }
  if (!traceId || !spanId) return undefined;
  return { traceId, spanId, attributes: attributes ?? EMPTY };
}

/** A KeyValue (the reader is at its length prefix) as an attribute. */
function readKeyValue(r: ProtobufReader): Attribute {
  const end = r.delimited();
  let key: AttributeKey | undefined;
  let valueStart = -1;
  let valueEnd = -1;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === ((1 << 3) | LENGTH_DELIMITED)) key = r.cached(KEYS, attributeKey);
    else if (tag === ((2 << 3) | LENGTH_DELIMITED)) {
      valueEnd = r.delimited();
      valueStart = r.pos;
      r.pos = valueEnd;
    } else r.skip(tag & 7);
  }
  if (r.pos !== end) throw new WireError(`key-value overruns its length at offset ${r.pos}`);
  key ??= attributeKey('');
  if (valueStart < 0) return attribute(key.key, key.string, 'string', '');
  // The value is read with this reader, narrowed to it: an attribute costs no reader.
  const outer = r.end;
  r.pos = valueStart;
  r.end = valueEnd;
  const value = readAnyValue(r, key);
  r.pos = end;
  r.end = outer;
  return value;
}

/** What an AnyValue holds: its last value field wins, as protobuf's oneof rules say. */
const enum Held {
  None,
  String,
  Bool,
  Int,
  Double,
  Array,
  KvList,
  Bytes,
}

function readAnyValue(r: ProtobufReader, k: AttributeKey): Attribute {
  const key = k.key;
  let held = Held.None;
  let text = '';
  let num = 0;
  let start = 0;
  let end = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | LENGTH_DELIMITED:
        held = Held.String;
        // Values shared under their key are found by their bytes; identifiers are decoded.
        text = k.string.values !== null ? r.cached(VALUES, asIs) : r.string();
        break;
      case (2 << 3) | VARINT:
        held = Held.Bool;
        num = r.varint64() !== 0 || r.high !== 0 ? 1 : 0;
        break;
      case (3 << 3) | VARINT:
        held = Held.Int;
        num = r.varint64();
        if (isExactHigh(r.high)) {
          num = r.high * 4294967296 + num;
          text = '';
        } else {
          const big = bigInt64(r.high, num);
          num = Number(big);
          text = big.toString();
        }
        break;
      case (4 << 3) | FIXED64:
        held = Held.Double;
        num = r.double();
        break;
      case (5 << 3) | LENGTH_DELIMITED:
      case (6 << 3) | LENGTH_DELIMITED:
      case (7 << 3) | LENGTH_DELIMITED:
        held = tag >>> 3 === 5 ? Held.Array : tag >>> 3 === 6 ? Held.KvList : Held.Bytes;
        end = r.delimited();
        start = r.pos;
        r.pos = end;
        break;
      default:
        r.skip(tag & 7);
    }
  }
  switch (held) {
    case Held.String:
      return attribute(key, k.string, 'string', text);
    case Held.Bool:
      return attribute(key, k.bool, 'bool', num === 1);
    case Held.Int:
      // Beyond 2^53 the digits are kept beside the nearest double (see ../store/int64.ts).
      return text === ''
        ? attribute(key, k.int64, 'int64', num)
        : { key, type: 'int64', value: num, exact: text };
    case Held.Double:
      return { key, type: 'float64', value: num };
    case Held.Bytes:
      return { key, type: 'binary', value: r.buf.toString('base64', start, end) };
    case Held.Array:
      // Jaeger's OTLP translator shows arrays and maps as their JSON text.
      return { key, type: 'string', value: exactJson(readArray(r.buf, start, end)) };
    case Held.KvList:
      return { key, type: 'string', value: exactJson(readKvList(r.buf, start, end)) };
    default:
      return { key, type: 'string', value: 'null' };
  }
}

/** An int64 varint as a number, or a bigint when a number would not be exact. */
function int64(r: ProtobufReader): number | bigint {
  const lo = r.varint64();
  return isExactHigh(r.high) ? r.high * 4294967296 + lo : bigInt64(r.high, lo);
}

/** An AnyValue inside an array or map as a plain JSON value. */
function plainValue(buf: Buffer, start: number, end: number): unknown {
  const r = new ProtobufReader(buf, start, end);
  let value: unknown = null;
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | LENGTH_DELIMITED:
        value = r.string();
        break;
      case (2 << 3) | VARINT:
        value = r.varint64() !== 0 || r.high !== 0;
        break;
      case (3 << 3) | VARINT:
        value = int64(r);
        break;
      case (4 << 3) | FIXED64:
        value = r.double();
        break;
      case (5 << 3) | LENGTH_DELIMITED: {
        const e = r.delimited();
        value = readArray(buf, r.pos, e);
        r.pos = e;
        break;
      }
      case (6 << 3) | LENGTH_DELIMITED: {
        const e = r.delimited();
        value = readKvList(buf, r.pos, e);
        r.pos = e;
        break;
      }
      case (7 << 3) | LENGTH_DELIMITED: {
        const e = r.delimited();
        value = buf.toString('base64', r.pos, e);
        r.pos = e;
        break;
      }
      default:
        r.skip(tag & 7);
    }
  }
  return value;
}

/** ArrayValue: `repeated AnyValue values = 1`. */
function readArray(buf: Buffer, start: number, end: number): unknown[] {
  const r = new ProtobufReader(buf, start, end);
  const values: unknown[] = [];
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === ((1 << 3) | LENGTH_DELIMITED)) {
      const e = r.delimited();
      values.push(plainValue(buf, r.pos, e));
      r.pos = e;
    } else r.skip(tag & 7);
  }
  return values;
}

/** KeyValueList: `repeated KeyValue values = 1`. */
function readKvList(buf: Buffer, start: number, end: number): Record<string, unknown> {
  const r = new ProtobufReader(buf, start, end);
  const out: Record<string, unknown> = {};
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag !== ((1 << 3) | LENGTH_DELIMITED)) {
      r.skip(tag & 7);
      continue;
    }
    const e = r.delimited();
    let key = '';
    let value: unknown = null;
    while (r.pos < e) {
      const t = r.tag();
      if (t === ((1 << 3) | LENGTH_DELIMITED)) key = r.string();
      else if (t === ((2 << 3) | LENGTH_DELIMITED)) {
        const ve = r.delimited();
        value = plainValue(buf, r.pos, ve);
        r.pos = ve;
      } else r.skip(t & 7);
    }
    if (r.pos !== e) throw new WireError(`key-value overruns its length at offset ${r.pos}`);
    out[key] = value;
  }
  return out;
}
