import type { SpanTable } from './span-table.js';

/**
 * Where a message sits in its bus: a partition (Kafka's; '' for a Redis stream) and a place in
 * it as two whole numbers compared in turn: a stream entry id `<ms>-<seq>` as (ms, seq), a
 * Kafka offset as (its digits above the 15 lowest, the 15 lowest). Never one float or a
 * string: `1700000000000-10` comes after `1700000000000-9`, and offsets past 2^53 keep their
 * order.
 */
export interface BusPlace {
  partition: string;
  hi: number;
  lo: number;
}

const STREAM_ID = /^(\d+)-(\d+)$/;
const KAFKA_ID = /^(\d+):(\d+)$/;
const LOW_DIGITS = 15;
const LOW = 1e15;

/** Splits a whole number (digits, or a safe integer) into `out`; false if it is neither. */
function splitWhole(value: string | number, out: BusPlace): boolean {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) return false;
    out.hi = Math.floor(value / LOW);
    out.lo = value - out.hi * LOW;
    return true;
  }
  if (!/^\d+$/.test(value)) return false;
  out.hi = value.length > LOW_DIGITS ? Number(value.slice(0, -LOW_DIGITS)) : 0;
  out.lo = Number(value.slice(-LOW_DIGITS));
  return true;
}

/**
 * Reads into `out` where the message of span slot i sits in its bus, from its messaging
 * attributes: Kafka's partition and offset, else the message id (a stream entry id, or
 * Kafka's `partition:offset`). False when the span does not say.
 */
export function readBusPlace(t: SpanTable, i: number, out: BusPlace): boolean {
  const id = t.messageId[i];
  const offset = t.offset[i];
  if (offset !== undefined) {
    out.partition = t.partitionId[i] ?? (id !== undefined ? KAFKA_ID.exec(id)?.[1] : '') ?? '';
    return splitWhole(offset, out);
  }
  if (id === undefined) return false;
  const stream = STREAM_ID.exec(id);
  if (stream) {
    const ms = Number(stream[1]);
    const seq = Number(stream[2]);
    if (!Number.isSafeInteger(ms) || !Number.isSafeInteger(seq)) return false;
    out.partition = t.partitionId[i] ?? '';
    out.hi = ms;
    out.lo = seq;
    return true;
  }
  const kafka = KAFKA_ID.exec(id);
  if (!kafka) return false;
  out.partition = t.partitionId[i] ?? kafka[1]!;
  return splitWhole(kafka[2]!, out);
}

/** The messages of one hop or queue, as columns: index i is one message. */
export interface Messages {
  readonly count: number;
  /** The producer span's end. */
  readonly publishedUs: ArrayLike<number>;
  /** The consumer span's start and end. */
  readonly startUs: ArrayLike<number>;
  readonly endUs: ArrayLike<number>;
  /** consumer start − publish, at least 0. */
  readonly waitUs: ArrayLike<number>;
  /** Bus place: partition ('' for none) and the two numbers, NaN where the spans do not say. */
  readonly partition: readonly string[];
  readonly placeHi: ArrayLike<number>;
  readonly placeLo: ArrayLike<number>;
}

/** Messages in bus order, with their ranks. */
export interface MessageOrder {
  /** Message indices, in order: by partition, then place; else by publish time. */
  readonly order: Int32Array;
  /** rank[k]: the k-th message's rank (1-based) within its partition. */
  readonly rank: Int32Array;
  /** group[k]: the k-th message's partition, numbered 0, 1, … in order. */
  readonly group: Int32Array;
  readonly partitions: number;
  /** True when every message had a bus place; false: ranked by publish time. */
  readonly byBus: boolean;
  /** Messages without a bus place. */
  readonly unplaced: number;
}

/** Partitions by number when both are numbers ("2" before "10"), else as text. */
function comparePartitions(a: string, b: string): number {
  if (a === b) return 0;
  const na = Number(a);
  const nb = Number(b);
  if (a !== '' && b !== '' && Number.isInteger(na) && Number.isInteger(nb)) return na - nb;
  return a < b ? -1 : 1;
}

/**
 * The messages in the bus's own order: per partition (one for a Redis stream), by place, ties
 * (one message handled twice, after a redelivery) by publish time then consumer start. If
 * any message lacks a place, all are ranked by publish time (stable), as one partition: the
 * spans give no order to merge them by.
 */
export function busOrder(m: Messages): MessageOrder {
  const n = m.count;
  let unplaced = 0;
  for (let i = 0; i < n; i++) if (m.placeHi[i] !== m.placeHi[i]) unplaced++;
  const byBus = n > 0 && unplaced === 0;
  let order: Int32Array;
  if (byBus) {
    const before = (a: number, b: number) =>
      comparePartitions(m.partition[a]!, m.partition[b]!) ||
      m.placeHi[a]! - m.placeHi[b]! ||
      m.placeLo[a]! - m.placeLo[b]! ||
      m.publishedUs[a]! - m.publishedUs[b]! ||
      m.startUs[a]! - m.startUs[b]! ||
      a - b;
    // Messages come nearly in order (traces are read by time): check first, and sort a plain
    // array, whose sort is adaptive to runs already in order.
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) sorted = before(i - 1, i) < 0;
    order = new Int32Array(n);
    if (sorted) {
      for (let i = 0; i < n; i++) order[i] = i;
    } else {
      const list = Array.from({ length: n }, (_, i) => i);
      list.sort(before);
      order.set(list);
    }
  } else {
    order = orderBy(m.publishedUs);
  }
  const rank = new Int32Array(n);
  const group = new Int32Array(n);
  let partitions = n > 0 ? 1 : 0;
  for (let k = 0; k < n; k++) {
    const newPartition = byBus && k > 0 && m.partition[order[k]!] !== m.partition[order[k - 1]!];
    if (newPartition) partitions++;
    group[k] = partitions - 1;
    rank[k] = k === 0 || newPartition ? 1 : rank[k - 1]! + 1;
  }
  return { order, rank, group, partitions, byBus, unplaced };
}

/** Positions 0 … n − 1 ordered by key, stable; most hops come in order, or in reverse. */
export function orderBy(key: ArrayLike<number>): Int32Array {
  const n = key.length;
  const order = new Int32Array(n);
  let ascending = true;
  let descending = true;
  for (let i = 1; i < n; i++) {
    if (key[i - 1]! > key[i]!) ascending = false;
    if (!(key[i - 1]! > key[i]!)) descending = false;
  }
  if (ascending || !descending) {
    for (let i = 0; i < n; i++) order[i] = i;
    // Ties by position: the same order as a stable sort.
    if (!ascending) order.sort((a, b) => key[a]! - key[b]! || a - b);
  } else {
    // Strictly descending: reversed, with no ties to keep in order.
    for (let i = 0; i < n; i++) order[i] = n - 1 - i;
  }
  return order;
}
