import { randomUUID } from 'node:crypto';

/**
 * OTLP int64 values beyond what a double holds exactly (|n| > 2^53 − 1). A JS number keeps
 * 53 bits, so 9007199254740993 would read back as 9007199254740992; the collector keeps such
 * a value's decimal digits beside its (rounded) number, and writes the digits wherever it
 * writes JSON, as Jaeger does (a number literal with every digit).
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** An int64 as the collector holds it: the number, and the exact digits when it is not exact. */
export interface Int64 {
  readonly value: number;
  /** Decimal digits, only when `value` is not exact. */
  readonly exact?: string;
}

/** The high half of an int64 whose value a double holds exactly, whatever the low half. */
export const isExactHigh = (hi: number): boolean => (hi | 0) >= -0x200000 && (hi | 0) < 0x200000;

/** A 64-bit two's-complement integer from its 32-bit halves (`lo` unsigned). */
export const bigInt64 = (hi: number, lo: number): bigint =>
  BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));

/** Decimal digits (an optional minus sign) as an int64; undefined when outside its range. */
export function int64FromDigits(digits: string): Int64 | undefined {
  const value = Number(digits);
  if (Number.isSafeInteger(value)) return { value };
  const big = BigInt(digits);
  if (big < INT64_MIN || big > INT64_MAX) return undefined;
  return { value: Number(big), exact: big.toString() };
}

/**
 * Stands in JSON.stringify's output for an exact integer: a string no sender can write (a
 * random token of this process, never sent anywhere), replaced by the bare digits afterwards.
 */
const MARK = `@int64:${randomUUID()}:`;
const MARKED = new RegExp(`"${MARK}(-?\\d+)"`, 'g');

/** What JSON.stringify writes for `digits` before `exactJson` unmarks it. */
export const markInt64 = (digits: string): string => `${MARK}${digits}`;

/**
 * JSON text of `value` with exact integers written as number literals with all their digits:
 * the ones marked with `markInt64` (through a toJSON) and any bigint.
 */
export function exactJson(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    // Only a bigint stops JSON.stringify here; what carries none takes the fast path above.
    if (!(err instanceof TypeError) || !/BigInt/i.test(err.message)) throw err;
    text = JSON.stringify(value, (_k, v: unknown) =>
      typeof v === 'bigint' ? markInt64(v.toString()) : v,
    );
  }
  return text.includes(MARK) ? text.replace(MARKED, '$1') : text;
}

/**
 * OTLP JSON as JSON.parse reads it, except that integer literals too long for a double
 * (16 digits or more) come back as strings of their digits, which OTLP's JSON mapping accepts
 * for every int64 field: `"intValue": 9007199254740993` keeps its last digit.
 */
export function parseOtlpJson(text: string): unknown {
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
