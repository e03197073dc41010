import { ATTR_SERVICE_NAME } from '../../telemetry/semconv.js';
import { CollectorError } from '../errors.js';
import { bigInt64, exactJson, isExactHigh } from '../store/int64.js';
import { attribute, internKey, internName } from '../store/intern.js';
import { micros, NO_SERVICE_NAME } from '../store/span-record.js';
import type {
  Attribute,
  InstrumentationScope,
  Microseconds,
  ProcessResource,
  SpanEvent,
  SpanKindName,
  SpanLink,
  SpanRecord,
  StatusCodeName,
} from '../store/span-record.js';
import type { DecodedExport } from './otlp-json.js';
import { durationMicros, rejectionMessage, SPAN_KINDS } from './otlp-json.js';
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
  const out: Decoding = { spans: [], rejected: 0, reasons: [] };
  try {
    const r = new ProtobufReader(buf);
    let index = 0;
    while (r.pos < r.end) {
      const tag = r.tag();
      if (tag === ((1 << 3) | LENGTH_DELIMITED)) {
        const end = r.delimited();
        readResourceSpans(new ProtobufReader(buf, r.pos, end), index++, out);
        r.pos = end;
      } else r.skip(tag & 7);
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
    rejectedSpans: out.rejected,
    errorMessage: rejectionMessage(out.rejected, out.reasons),
  };
}

interface Decoding {
  readonly spans: SpanRecord[];
  rejected: number;
  readonly reasons: string[];
}

const EMPTY: readonly never[] = [];

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
    if (tag === ((1 << 3) | LENGTH_DELIMITED)) {
      const end = r.delimited();
      resource = readResource(new ProtobufReader(r.buf, r.pos, end));
      r.pos = end;
    } else if (tag === ((2 << 3) | LENGTH_DELIMITED)) collect(scopeSpans, r);
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
  let serviceName = NO_SERVICE_NAME;
  const attributes: Attribute[] = [];
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === ((1 << 3) | LENGTH_DELIMITED)) {
      const a = readKeyValue(r);
      if (a.key === ATTR_SERVICE_NAME && a.type === 'string')
        serviceName = a.value || NO_SERVICE_NAME;
      else attributes.push(a);
    } else r.skip(tag & 7);
  }
  return { serviceName, attributes: attributes.length > 0 ? attributes : EMPTY };
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
    if (tag === ((1 << 3) | LENGTH_DELIMITED)) {
      const end = r.delimited();
      scope = readScope(new ProtobufReader(r.buf, r.pos, end));
      r.pos = end;
    } else if (tag === ((2 << 3) | LENGTH_DELIMITED)) collect(spans, r);
    else r.skip(tag & 7);
  }
  for (let i = 0; i < spans.length; i += 2) {
    const span = new ProtobufReader(r.buf, spans[i], spans[i + 1]);
    const result = readSpan(span, scope, resource, () => `${where}.spans[${i / 2}]`);
    if (typeof result === 'string') {
      out.rejected++;
      if (out.reasons.length < 3) out.reasons.push(`${where}.spans[${i / 2}]: ${result}`);
    } else out.spans.push(result);
  }
}

const NO_SCOPE: InstrumentationScope = { name: '', version: '' };

function readScope(r: ProtobufReader): InstrumentationScope {
  let name = '';
  let version = '';
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === ((1 << 3) | LENGTH_DELIMITED)) name = internName(r.string());
    else if (tag === ((2 << 3) | LENGTH_DELIMITED)) version = internName(r.string());
    else r.skip(tag & 7);
  }
  return name === '' && version === '' ? NO_SCOPE : { name, version };
}

/** Not an id of the right length. */
const BAD_ID = 'bad';

/** '' when absent or empty; BAD_ID when not `bytes` long; else lowercase hex. */
function readId(r: ProtobufReader, bytes: number): string {
  const end = r.delimited();
  const start = r.pos;
  r.pos = end;
  if (end === start) return '';
  if (end - start !== bytes) return BAD_ID;
  return r.buf.toString('hex', start, end);
}

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/** Returns the rejection reason as a string, or the span. */
function readSpan(
  r: ProtobufReader,
  scope: InstrumentationScope,
  resource: ProcessResource,
  where: () => string,
): SpanRecord | string {
  let traceId = '';
  let spanId = '';
  let parentSpanId = '';
  let traceState = '';
  let name = '';
  let kind = 0;
  let startLo = 0;
  let startHi = 0;
  let endLo = 0;
  let endHi = 0;
  let attributes: Attribute[] | undefined;
  let events: SpanEvent[] | undefined;
  let links: SpanLink[] | undefined;
  let statusCode = 0;
  let statusMessage = '';
  let flags = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | LENGTH_DELIMITED:
        traceId = readId(r, 16);
        break;
      case (2 << 3) | LENGTH_DELIMITED:
        spanId = readId(r, 8);
        break;
      case (3 << 3) | LENGTH_DELIMITED:
        traceState = r.string();
        break;
      case (4 << 3) | LENGTH_DELIMITED:
        parentSpanId = readId(r, 8);
        break;
      case (5 << 3) | LENGTH_DELIMITED:
        name = internName(r.string());
        break;
      case (6 << 3) | VARINT:
        kind = r.uint32() | 0;
        break;
      case (7 << 3) | FIXED64:
        startLo = r.fixed64();
        startHi = r.high;
        break;
      case (8 << 3) | FIXED64:
        endLo = r.fixed64();
        endHi = r.high;
        break;
      case (9 << 3) | LENGTH_DELIMITED:
        (attributes ??= []).push(readKeyValue(r));
        break;
      case (11 << 3) | LENGTH_DELIMITED: {
        const end = r.delimited();
        (events ??= []).push(readEvent(new ProtobufReader(r.buf, r.pos, end)));
        r.pos = end;
        break;
      }
      case (13 << 3) | LENGTH_DELIMITED: {
        const end = r.delimited();
        const link = readLink(new ProtobufReader(r.buf, r.pos, end));
        // A link to nothing says nothing; drop it rather than the span that carries it.
        if (link) (links ??= []).push(link);
        r.pos = end;
        break;
      }
      case (15 << 3) | LENGTH_DELIMITED: {
        const end = r.delimited();
        while (r.pos < end) {
          const t = r.tag();
          if (t === ((2 << 3) | LENGTH_DELIMITED)) statusMessage = r.string();
          else if (t === ((3 << 3) | VARINT)) statusCode = r.uint32() | 0;
          else r.skip(t & 7);
        }
        if (r.pos !== end) throw new WireError(`status overruns its length at offset ${r.pos}`);
        break;
      }
      case (16 << 3) | FIXED32:
        flags = r.fixed32();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  if (traceId === BAD_ID) return 'invalid traceId: expected 32 hex digits';
  if (traceId === '' || traceId === ZERO_TRACE_ID) return 'empty or all-zero traceId';
  if (spanId === BAD_ID) return 'invalid spanId: expected 16 hex digits';
  if (spanId === '' || spanId === ZERO_SPAN_ID) return 'empty or all-zero spanId';
  if (parentSpanId === BAD_ID) return 'invalid parentSpanId: expected 16 hex digits or empty';
  const status = STATUS_CODES[statusCode];
  if (status === undefined) {
    throw new CollectorError(
      'OTLP_MALFORMED_BODY',
      `${where()}.status.code: expected 0 (unset), 1 (ok) or 2 (error)`,
    );
  }
  const startUs = wholeMicros(startLo, startHi);
  const startRest = restNanos(startLo, startHi);
  return {
    traceId,
    spanId,
    parentSpanId: parentSpanId === ZERO_SPAN_ID ? '' : parentSpanId,
    name,
    kind: SPAN_KINDS[kind] ?? ('unspecified' satisfies SpanKindName),
    startUs,
    durationUs: durationMicros(
      { us: startUs, restNs: startRest },
      { us: wholeMicros(endLo, endHi), restNs: restNanos(endLo, endHi) },
    ),
    attributes: attributes ?? EMPTY,
    events: events ?? EMPTY,
    links: links ?? EMPTY,
    statusCode: status,
    statusMessage,
    traceState,
    flags,
    scope,
    resource,
  };
}

const STATUS_CODES: readonly StatusCodeName[] = ['unset', 'ok', 'error'];

/*
 * Nanoseconds since the epoch as two unsigned 32-bit halves, split exactly into whole
 * microseconds and the nanoseconds left over: 2^32 = 4294967 × 1000 + 296, so
 * hi × 2^32 + lo = 1000 × (hi × 4294967) + (hi × 296 + lo), every term below 2^53.
 */
function wholeMicros(lo: number, hi: number): Microseconds {
  return micros(hi * 4294967 + Math.floor((hi * 296 + lo) / 1000));
}

function restNanos(lo: number, hi: number): number {
  return (hi * 296 + lo) % 1000;
}

function readEvent(r: ProtobufReader): SpanEvent {
  let timeLo = 0;
  let timeHi = 0;
  let name = '';
  let attributes: Attribute[] | undefined;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === ((1 << 3) | FIXED64)) {
      timeLo = r.fixed64();
      timeHi = r.high;
    } else if (tag === ((2 << 3) | LENGTH_DELIMITED)) name = internName(r.string());
    else if (tag === ((3 << 3) | LENGTH_DELIMITED)) (attributes ??= []).push(readKeyValue(r));
    else r.skip(tag & 7);
  }
  return { timeUs: wholeMicros(timeLo, timeHi), name, attributes: attributes ?? EMPTY };
}

function readLink(r: ProtobufReader): SpanLink | undefined {
  let traceId = '';
  let spanId = '';
  let attributes: Attribute[] | undefined;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === ((1 << 3) | LENGTH_DELIMITED)) traceId = readId(r, 16);
    else if (tag === ((2 << 3) | LENGTH_DELIMITED)) spanId = readId(r, 8);
    else if (tag === ((4 << 3) | LENGTH_DELIMITED)) (attributes ??= []).push(readKeyValue(r));
    else r.skip(tag & 7);
  }
  if (!traceId || !spanId || traceId === BAD_ID || spanId === BAD_ID) return undefined;
  return { traceId, spanId, attributes: attributes ?? EMPTY };
}

/** A KeyValue (the reader is at its length prefix) as an attribute. */
function readKeyValue(r: ProtobufReader): Attribute {
  const end = r.delimited();
  let key = '';
  let valueStart = -1;
  let valueEnd = -1;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === ((1 << 3) | LENGTH_DELIMITED)) key = internKey(r.string());
    else if (tag === ((2 << 3) | LENGTH_DELIMITED)) {
      valueEnd = r.delimited();
      valueStart = r.pos;
      r.pos = valueEnd;
    } else r.skip(tag & 7);
  }
  if (r.pos !== end) throw new WireError(`key-value overruns its length at offset ${r.pos}`);
  if (valueStart < 0) return attribute(key, 'string', '');
  return readAnyValue(new ProtobufReader(r.buf, valueStart, valueEnd), key);
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

function readAnyValue(r: ProtobufReader, key: string): Attribute {
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
        text = r.string();
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
      return attribute(key, 'string', text);
    case Held.Bool:
      return attribute(key, 'bool', num === 1);
    case Held.Int:
      // Beyond 2^53 the digits are kept beside the nearest double (see ../store/int64.ts).
      return text === ''
        ? attribute(key, 'int64', num)
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
