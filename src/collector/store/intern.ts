import type { Attribute } from './span-record.js';

/**
 * One copy of what repeats from span to span. A decoded string is new each time, so a store
 * of 200,000 spans would hold as many copies of `messaging.system = redis`; sharing them
 * keeps the heap (and the garbage collector's work over it) a fraction of that. Every table
 * is bounded, in case a sender's names or values are unbounded.
 */

const MAX_INTERNED = 10_000;
/** Past this many distinct values a key is taken for an identifier and its values not shared. */
const MAX_SHARED_VALUES_PER_KEY = 64;

const keys = new Map<string, string>();
const names = new Map<string, string>();

function intern(table: Map<string, string>, s: string): string {
  const known = table.get(s);
  if (known !== undefined) return known;
  if (table.size < MAX_INTERNED) table.set(s, s);
  return s;
}

/** An attribute key: one string per key. */
export const internKey = (key: string): string => intern(keys, key);

/** A span, event or scope name. */
export const internName = (name: string): string => intern(names, name);

type Shareable = string | number | boolean;

/** Per attribute type, per key: the shared attributes by value, or null once too many. */
const shared = {
  string: new Map<string, Map<Shareable, Attribute> | null>(),
  int64: new Map<string, Map<Shareable, Attribute> | null>(),
  bool: new Map<string, Map<Shareable, Attribute> | null>(),
};

/**
 * The attribute `key = value`, shared with every span that has the same one while the key
 * has few distinct values; identifiers (order ids, message ids) get their own.
 */
export function attribute<T extends keyof typeof shared>(
  key: string,
  type: T,
  value: Extract<Attribute, { type: T }>['value'],
): Attribute {
  const byKey = shared[type];
  let values = byKey.get(key);
  if (values === null) return { key, type, value } as Attribute;
  if (values === undefined) {
    if (byKey.size >= MAX_INTERNED) return { key, type, value } as Attribute;
    byKey.set(key, (values = new Map()));
  }
  let a = values.get(value);
  if (a !== undefined) return a;
  a = { key, type, value } as Attribute;
  if (values.size < MAX_SHARED_VALUES_PER_KEY) values.set(value, a);
  // Too many values: an identifier. Forget the ones kept; the spans holding them keep theirs.
  else byKey.set(key, null);
  return a;
}
