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
