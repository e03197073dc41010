import { ATTR_SERVICE_NAME } from '../../telemetry/index.js';
import { CollectorError } from '../errors.js';
import { micros, NO_SERVICE_NAME } from '../store/span-record.js';
import type {
  Attribute,
  Microseconds,
  ProcessResource,
  SpanKindName,
  StatusCodeName,
} from '../store/span-record.js';

/*
 * What the OTLP decoders share, whichever the encoding (protobuf read from the wire, JSON) and
 * whatever the signal (traces, metrics): ids, times, int64 halves, span kinds and status
 * codes, the resource's service name, and how refused items are told to the sender.
 */

export const EMPTY: readonly never[] = [];

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/**
 * Why a span's ids make it unusable, or undefined when they do not. An id is '' when absent
 * and undefined when present but not of the right length.
 */
export function idProblem(
  traceId: string | undefined,
  spanId: string | undefined,
  parentSpanId: string | undefined,
): string | undefined {
  if (traceId === undefined) return 'invalid traceId: expected 32 hex digits';
  if (traceId === '' || traceId === ZERO_TRACE_ID) return 'empty or all-zero traceId';
  if (spanId === undefined) return 'invalid spanId: expected 16 hex digits';
  if (spanId === '' || spanId === ZERO_SPAN_ID) return 'empty or all-zero spanId';
  if (parentSpanId === undefined) return 'invalid parentSpanId: expected 16 hex digits or empty';
  return undefined;
}

/** A parent span id as kept: all zeros is no parent. */
export const parentOf = (parentSpanId: string): string =>
  parentSpanId === ZERO_SPAN_ID ? '' : parentSpanId;

export const SPAN_KINDS: readonly SpanKindName[] = [
  'unspecified',
  'internal',
  'server',
  'client',
  'producer',
  'consumer',
];

export const STATUS_CODES: readonly StatusCodeName[] = ['unset', 'ok', 'error'];

export const EXPECTED_STATUS_CODE = 'expected 0 (unset), 1 (ok) or 2 (error)';

/**
 * A time in nanoseconds since the epoch, split into whole microseconds and the nanoseconds
 * left over: both parts are exact in a double, where the nanosecond count (> 2^53) is not.
 */
export interface SplitTime {
  readonly us: Microseconds;
  /** 0-999. */
  readonly restNs: number;
}

/**
 * Nanoseconds since the epoch as two unsigned 32-bit halves, split exactly: 2^32 =
 * 4294967 × 1000 + 296, so hi × 2^32 + lo = 1000 × (hi × 4294967) + (hi × 296 + lo), and
 * every term stays below 2^53.
 */
export function splitNanos(lo: number, hi: number): SplitTime {
  return { us: microsOfNanos(lo, hi), restNs: (hi * 296 + lo) % 1000 };
}

/** splitNanos(lo, hi).us, without the object (the protobuf decoder's hot path). */
export const microsOfNanos = (lo: number, hi: number): Microseconds =>
  micros(hi * 4294967 + Math.floor((hi * 296 + lo) / 1000));

/** durationMicros of two times given as halves, without the objects. */
export function durationOfNanos(
  startLo: number,
  startHi: number,
  endLo: number,
  endHi: number,
): Microseconds {
  const startRest = (startHi * 296 + startLo) % 1000;
  const endRest = (endHi * 296 + endLo) % 1000;
  const us =
    microsOfNanos(endLo, endHi) - microsOfNanos(startLo, startHi) - (endRest < startRest ? 1 : 0);
  return micros(Math.max(0, us));
}

/**
 * (end − start) in nanoseconds ÷ 1000, truncated, as Jaeger maps it: one microsecond less than
 * the difference of the truncated times when the end's leftover nanoseconds are fewer than the
 * start's. An end before the start gives 0.
 */
export function durationMicros(start: SplitTime, end: SplitTime): Microseconds {
  const us = end.us - start.us - (end.restNs < start.restNs ? 1 : 0);
  return micros(Math.max(0, us));
}

/** The high half of an int64 whose value a double holds exactly, whatever the low half. */
export const isExactHigh = (hi: number): boolean => (hi | 0) >= -0x200000 && (hi | 0) < 0x200000;

/** A 64-bit two's-complement integer from its 32-bit halves (`lo` unsigned). */
export const bigInt64 = (hi: number, lo: number): bigint =>
  BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));

/** A resource's attributes as a process: service.name apart, the others as they came. */
export function processResource(all: readonly Attribute[]): ProcessResource {
  let serviceName = NO_SERVICE_NAME;
  const attributes: Attribute[] = [];
  for (const a of all) {
    if (a.key === ATTR_SERVICE_NAME && a.type === 'string')
      serviceName = a.value || NO_SERVICE_NAME;
    else attributes.push(a);
  }
  return { serviceName, attributes: attributes.length > 0 ? attributes : EMPTY };
}

/** The items of one request that were refused: how many, and the first few reasons. */
export class Rejections {
  count = 0;
  private readonly reasons: string[] = [];

  /** `items`: what was refused, as the message names it (`span(s)`). */
  constructor(private readonly items: string) {}

  add(where: string, reason: string): void {
    this.count++;
    if (this.reasons.length < 3) this.reasons.push(`${where}: ${reason}`);
  }

  /** The partial success's error message; empty when nothing was refused. */
  message(): string {
    if (this.count === 0) return '';
    const more = this.count > this.reasons.length ? '; …' : '';
    return `${this.count} ${this.items} rejected: ${this.reasons.join('; ')}${more}`;
  }
}

/** An OTLP/JSON request body, parsed; OTLP_MALFORMED_BODY when it is not JSON. */
export function parseJsonBody(text: string): unknown {
  try {
    return parseOtlpJson(text);
  } catch (err) {
    throw new CollectorError('OTLP_MALFORMED_BODY', `malformed JSON: ${(err as Error).message}`);
  }
}

/**
 * OTLP JSON as JSON.parse reads it, except that integer literals too long for a double
 * (16 digits or more) come back as strings of their digits, which OTLP's JSON mapping accepts
 * for every int64 field: `"intValue": 9007199254740993` keeps its last digit.
 */
function parseOtlpJson(text: string): unknown {
  // Most bodies have no such literal (OTLP JSON writes int64 as strings): one regex pass.
  if (!LONG_LITERAL.test(text)) return JSON.parse(text);
  return JSON.parse(quoteLongIntegers(text));
}

const LONG_LITERAL = /[:,[]\s*-?\d{16}/;

/** The JSON text with integer literals of 16 or more digits, outside strings, in quotes. */
function quoteLongIntegers(text: string): string {
  let out = '';
  let copied = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Skip the string, escapes included.
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i += 2;
        else if (d === 0x22) break;
        else i++;
      }
      i++;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      i++;
      while (i < n && isNumberChar(text.charCodeAt(i))) i++;
      const literal = text.slice(start, i);
      if (/^-?\d{16,}$/.test(literal)) {
        out += `${text.slice(copied, start)}"${literal}"`;
        copied = i;
      }
    } else i++;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

const isNumberChar = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
