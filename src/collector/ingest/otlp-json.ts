import { CollectorError } from '../errors.js';
import { internKey } from '../store/intern.js';
import { exactJson, int64FromDigits } from '../store/int64.js';
import type { Int64 } from '../store/int64.js';
import { micros } from '../store/span-record.js';
import type {
  Attribute,
  InstrumentationScope,
  ProcessResource,
  SpanEvent,
  SpanKindName,
  SpanLink,
  SpanRecord,
  StatusCodeName,
} from '../store/span-record.js';
import {
  bigInt64,
  durationMicros,
  EMPTY,
  EXPECTED_STATUS_CODE,
  idProblem,
  isExactHigh,
  parentOf,
  parseJsonBody,
  processResource,
  Rejections,
  SPAN_KINDS,
  splitNanos,
} from './otlp-values.js';
import type { SplitTime } from './otlp-values.js';

/** What one OTLP export request yields: the spans to keep and the ones refused, with why. */
export interface DecodedExport {
  readonly spans: SpanRecord[];
  readonly rejectedSpans: number;
  /** Empty when nothing was rejected. */
  readonly errorMessage: string;
}

/*
 * Binary requests are read by ./otlp-protobuf.ts, straight from the wire; this module reads
 * OTLP/JSON, and its field readers serve the metrics decoder too. What every decoder shares is
 * in ./otlp-values.ts.
 */

/** Decodes an OTLP/JSON ExportTraceServiceRequest (hex ids, lowerCamelCase keys). */
export function decodeOtlpJson(text: string): DecodedExport {
  return toSpans(parseJsonBody(text));
}

/** A wrong-shaped field; the loops below add where it was. */
class ShapeError extends Error {}

type Obj = Record<string, unknown>;

/**
 * The mapping of parsed OTLP/JSON (hex ids, decimal-string times, absent defaults); the
 * metrics decoder shares its readers, and once read protobufjs messages (bytes ids, Long
 * times) too.
 */
function toSpans(message: unknown): DecodedExport {
  let resourceSpans: readonly unknown[];
  try {
    resourceSpans = asArray(asObject(message, '').resourceSpans, 'resourceSpans');
  } catch (err) {
    throw malformed(err, 'request');
  }
  const spans: SpanRecord[] = [];
  const rejections = new Rejections('span(s)');
  for (let r = 0; r < resourceSpans.length; r++) {
    let rs: Obj, resource: ProcessResource, scopeSpans: readonly unknown[];
    try {
      rs = asObject(resourceSpans[r], '');
      resource = toResource(rs.resource);
      scopeSpans = asArray(rs.scopeSpans, 'scopeSpans');
    } catch (err) {
      throw malformed(err, `resourceSpans[${r}]`);
    }
    for (let s = 0; s < scopeSpans.length; s++) {
      let ss: Obj, scope: InstrumentationScope, list: readonly unknown[];
      try {
        ss = asObject(scopeSpans[s], '');
        scope = toScope(ss.scope);
        list = asArray(ss.spans, 'spans');
      } catch (err) {
        throw malformed(err, `resourceSpans[${r}].scopeSpans[${s}]`);
      }
      for (let i = 0; i < list.length; i++) {
        let result: SpanRecord | string;
        try {
          result = toSpan(asObject(list[i], ''), scope, resource);
        } catch (err) {
          throw malformed(err, `resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`);
        }
        if (typeof result === 'string') {
          rejections.add(`resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`, result);
        } else {
          spans.push(result);
        }
      }
    }
  }
  return { spans, rejectedSpans: rejections.count, errorMessage: rejections.message() };
}

function malformed(err: unknown, where: string): Error {
  if (!(err instanceof ShapeError)) return err as Error;
  const field = err.message.startsWith('[') || err.message === '' ? err.message : `.${err.message}`;
  return new CollectorError('OTLP_MALFORMED_BODY', `${where}${field}: ${err.cause as string}`);
}

function shape(field: string, problem: string): ShapeError {
  return new ShapeError(field, { cause: problem });
}

/** Returns the rejection reason as a string, or the span. */
function toSpan(
  raw: Obj,
  scope: InstrumentationScope,
  resource: ProcessResource,
): SpanRecord | string {
  const traceId = toId(raw.traceId, 32, 'traceId');
  const spanId = toId(raw.spanId, 16, 'spanId');
  const parentSpanId = toId(raw.parentSpanId, 16, 'parentSpanId');
  const problem = idProblem(traceId, spanId, parentSpanId);
  if (problem !== undefined) return problem;
  const start = toTime(raw.startTimeUnixNano, 'startTimeUnixNano');
  const end = toTime(raw.endTimeUnixNano, 'endTimeUnixNano');
  const status =
    raw.status === undefined || raw.status === null ? {} : asObject(raw.status, 'status');
  return {
    traceId: traceId!,
    spanId: spanId!,
    parentSpanId: parentOf(parentSpanId!),
    name: asString(raw.name, 'name'),
    kind: toKind(raw.kind),
    startUs: start.us,
    durationUs: durationMicros(start, end),
    attributes: toAttributes(raw.attributes, 'attributes'),
    events: toEvents(raw.events),
    links: toLinks(raw.links),
    statusCode: toStatusCode(status.code),
    statusMessage: asString(status.message, 'status.message'),
    traceState: asString(raw.traceState, 'traceState'),
    flags: toFlags(raw.flags),
    scope,
    resource,
  };
}

const HEX_ID = /^[0-9a-fA-F]*$/;

/** '' when absent; undefined when present but not an id of the right length. */
function toId(v: unknown, hexDigits: number, field: string): string | undefined {
  // protobufjs puts an empty array on the prototype as the default of an absent bytes field.
  if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return '';
  if (v instanceof Uint8Array) {
    if (v.length === 0) return '';
    if (v.length * 2 !== hexDigits) return undefined;
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  }
  if (typeof v === 'string') {
    if (v === '') return '';
    if (v.length !== hexDigits || !HEX_ID.test(v)) return undefined;
    return v.toLowerCase();
  }
  throw shape(field, 'expected a hex string');
}

const TWO_POW_32 = 4294967296;

/** Nanoseconds since the epoch (Long, decimal string or number), split exactly. */
function toTime(v: unknown, field: string): SplitTime {
  if (v === undefined || v === null) return { us: micros(0), restNs: 0 };
  if (typeof v === 'object' && typeof (v as { low?: unknown }).low === 'number') {
    const long = v as { low: number; high: number };
    return splitNanos(long.low >>> 0, long.high >>> 0);
  }
  if (typeof v === 'string') {
    if (!/^\d+$/.test(v)) throw shape(field, `expected nanoseconds as digits, got "${v}"`);
    if (v.length <= 3) return { us: micros(0), restNs: Number(v) };
    return { us: micros(Number(v.slice(0, -3))), restNs: Number(v.slice(-3)) };
  }
  // A JSON number above 2^53 was already rounded by the parser; nothing finer can be recovered.
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) {
    return { us: micros(Math.floor(v / 1000)), restNs: Math.floor(v % 1000) };
  }
  throw shape(field, 'expected nanoseconds since the epoch');
}

/**
 * An int64 attribute value (Long, decimal string or number), its digits kept when a number
 * would round it. A JSON number literal too long for a double arrives as a string (see
 * parseOtlpJson).
 */
function toInt64(v: unknown, field: string): Int64 {
  if (typeof v === 'string' && /^-?\d+$/.test(v)) {
    const n = int64FromDigits(v);
    if (!n) throw shape(field, `${v} is outside the int64 range`);
    return n;
  }
  if (typeof v === 'object' && v !== null && typeof (v as { low?: unknown }).low === 'number') {
    const long = v as { low: number; high: number };
    if (!isExactHigh(long.high)) {
      const big = bigInt64(long.high, long.low);
      return { value: Number(big), exact: big.toString() };
    }
  }
  return { value: toInt(v, field) };
}

/** An int64 inside an array or map: a bigint when a number would round it. */
function plainInt64(v: unknown, field: string): number | bigint {
  const n = toInt64(v, field);
  return n.exact === undefined ? n.value : BigInt(n.exact);
}

/** OTLP int64 (Long, decimal string or number) to a JS number. */
function toInt(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  if (typeof v === 'object' && v !== null && typeof (v as { low?: unknown }).low === 'number') {
    const long = v as { low: number; high: number };
    return long.high * TWO_POW_32 + (long.low >>> 0);
  }
  throw shape(field, 'expected an integer');
}

function toKind(v: unknown): SpanKindName {
  if (typeof v === 'number') return SPAN_KINDS[v] ?? 'unspecified';
  if (typeof v === 'string') {
    const name = v.replace(/^SPAN_KIND_/, '').toLowerCase() as SpanKindName;
    if (SPAN_KINDS.includes(name)) return name;
  }
  if (v === undefined || v === null) return 'unspecified';
  throw shape('kind', 'expected a SpanKind number');
}

function toStatusCode(v: unknown): StatusCodeName {
  if (v === undefined || v === null || v === 0 || v === 'STATUS_CODE_UNSET') return 'unset';
  if (v === 1 || v === 'STATUS_CODE_OK') return 'ok';
  if (v === 2 || v === 'STATUS_CODE_ERROR') return 'error';
  throw shape('status.code', EXPECTED_STATUS_CODE);
}

function toFlags(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  throw shape('flags', 'expected an unsigned integer');
}

function toResource(v: unknown): ProcessResource {
  if (v === undefined || v === null) return processResource(EMPTY);
  const resource = asObject(v, 'resource');
  return processResource(toAttributes(resource.attributes, 'resource.attributes'));
}

function toScope(v: unknown): InstrumentationScope {
  if (v === undefined || v === null) return { name: '', version: '' };
  const scope = asObject(v, 'scope');
  return {
    name: asString(scope.name, 'scope.name'),
    version: asString(scope.version, 'scope.version'),
  };
}

function toEvents(v: unknown): readonly SpanEvent[] {
  const list = asArray(v, 'events');
  if (list.length === 0) return EMPTY;
  return list.map((item, i) => {
    const e = asObject(item, `events[${i}]`);
    return {
      timeUs: toTime(e.timeUnixNano, `events[${i}].timeUnixNano`).us,
      name: asString(e.name, `events[${i}].name`),
      attributes: toAttributes(e.attributes, `events[${i}].attributes`),
    };
  });
}

function toLinks(v: unknown): readonly SpanLink[] {
  const list = asArray(v, 'links');
  if (list.length === 0) return EMPTY;
  const links: SpanLink[] = [];
  for (let i = 0; i < list.length; i++) {
    const l = asObject(list[i], `links[${i}]`);
    const traceId = toId(l.traceId, 32, `links[${i}].traceId`);
    const spanId = toId(l.spanId, 16, `links[${i}].spanId`);
    // A link to nothing says nothing; drop it rather than the span that carries it.
    if (!traceId || !spanId) continue;
    links.push({
      traceId,
      spanId,
      attributes: toAttributes(l.attributes, `links[${i}].attributes`),
    });
  }
  return links;
}

function toAttributes(v: unknown, field: string): readonly Attribute[] {
  const list = asArray(v, field);
  if (list.length === 0) return EMPTY;
  const out: Attribute[] = new Array<Attribute>(list.length);
  for (let i = 0; i < list.length; i++) {
    const kv = list[i] as Obj;
    if (typeof kv !== 'object' || kv === null) throw shape(`${field}[${i}]`, 'expected an object');
    const key = internKey(asString(kv.key, `${field}[${i}].key`));
    out[i] = toAttribute(key, kv.value, `${field}[${i}].value`);
  }
  return out;
}

function toAttribute(key: string, v: unknown, field: string): Attribute {
  if (v === undefined || v === null) return { key, type: 'string', value: '' };
  const any = asObject(v, field);
  if (Object.hasOwn(any, 'stringValue')) {
    return { key, type: 'string', value: asString(any.stringValue, field) };
  }
  if (Object.hasOwn(any, 'boolValue')) {
    if (typeof any.boolValue !== 'boolean') throw shape(field, 'boolValue: expected a boolean');
    return { key, type: 'bool', value: any.boolValue };
  }
  if (Object.hasOwn(any, 'intValue')) {
    const { value, exact } = toInt64(any.intValue, `${field}.intValue`);
    return exact === undefined
      ? { key, type: 'int64', value }
      : { key, type: 'int64', value, exact };
  }
  if (Object.hasOwn(any, 'doubleValue')) {
    return { key, type: 'float64', value: toDouble(any.doubleValue, `${field}.doubleValue`) };
  }
  if (Object.hasOwn(any, 'bytesValue')) {
    return { key, type: 'binary', value: toBase64(any.bytesValue, `${field}.bytesValue`) };
  }
  // Jaeger's OTLP translator shows arrays and maps as their JSON text.
  return { key, type: 'string', value: exactJson(toPlain(any, field)) };
}

function toDouble(v: unknown, field: string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  throw shape(field, 'expected a number');
}

function toBase64(v: unknown, field: string): string {
  if (v instanceof Uint8Array)
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (typeof v === 'string') return v;
  throw shape(field, 'expected base64 bytes');
}

/** An AnyValue as a plain JSON value, for arrays and maps. */
function toPlain(any: Obj, field: string): unknown {
  if (Object.hasOwn(any, 'stringValue')) return asString(any.stringValue, field);
  if (Object.hasOwn(any, 'boolValue')) return Boolean(any.boolValue);
  if (Object.hasOwn(any, 'intValue')) return plainInt64(any.intValue, field);
  if (Object.hasOwn(any, 'doubleValue')) return toDouble(any.doubleValue, field);
  if (Object.hasOwn(any, 'bytesValue')) return toBase64(any.bytesValue, field);
  if (Object.hasOwn(any, 'arrayValue')) {
    const arr = asObject(any.arrayValue, `${field}.arrayValue`);
    return asArray(arr.values, `${field}.arrayValue.values`).map((item, i) =>
      item === null || item === undefined
        ? null
        : toPlain(
            asObject(item, `${field}.arrayValue.values[${i}]`),
            `${field}.arrayValue.values[${i}]`,
          ),
    );
  }
  if (Object.hasOwn(any, 'kvlistValue')) {
    const kvlist = asObject(any.kvlistValue, `${field}.kvlistValue`);
    const out: Record<string, unknown> = {};
    for (const [i, item] of asArray(kvlist.values, `${field}.kvlistValue.values`).entries()) {
      const kv = asObject(item, `${field}.kvlistValue.values[${i}]`);
      const key = asString(kv.key, `${field}.kvlistValue.values[${i}].key`);
      out[key] =
        kv.value === undefined || kv.value === null
          ? null
          : toPlain(asObject(kv.value, `${field}.kvlistValue.values[${i}].value`), field);
    }
    return out;
  }
  return null;
}

function asObject(v: unknown, field: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw shape(field, 'expected an object');
  }
  return v as Obj;
}

function asArray(v: unknown, field: string): readonly unknown[] {
  if (v === undefined || v === null) return EMPTY;
  if (!Array.isArray(v)) throw shape(field, 'expected an array');
  return v;
}

function asString(v: unknown, field: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw shape(field, 'expected a string');
  return v;
}

/** The shared field readers, for the metrics decoder: one reading of OTLP values. */
export { asArray, asObject, malformed, shape, toAttributes, toDouble, toInt, toResource, toTime };
