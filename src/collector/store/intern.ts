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

/** The attributes of one key and type shared so far, by value. */
export interface SharedValues {
  /** Undefined before the first; null once too many: an identifier, whose values are not shared. */
  values: Map<Shareable, Attribute> | null | undefined;
}

/**
 * An attribute key and what is shared under it, per type: found once per attribute, so that
 * sharing its value costs one lookup by value.
 */
export interface AttributeKey {
  readonly key: string;
  readonly string: SharedValues;
  readonly int64: SharedValues;
  readonly bool: SharedValues;
}

const attributeKeys = new Map<string, AttributeKey>();

export function attributeKey(key: string): AttributeKey {
  const known = attributeKeys.get(key);
  if (known !== undefined) return known;
  // Past the bound, a key shares nothing.
  const values = attributeKeys.size < MAX_INTERNED ? undefined : null;
  const k: AttributeKey = {
    key: internKey(key),
    string: { values },
    int64: { values },
    bool: { values },
  };
  if (values === undefined) attributeKeys.set(k.key, k);
  return k;
}

/**
 * The attribute `key = value`, shared with every span that has the same one while the key
 * has few distinct values; identifiers (order ids, message ids) get their own. `shared` is
 * the key's SharedValues for `type`.
 */
export function attribute<T extends 'string' | 'int64' | 'bool'>(
  key: string,
  shared: SharedValues,
  type: T,
  value: Extract<Attribute, { type: T }>['value'],
): Attribute {
  const values = shared.values;
  if (values === null) return { key, type, value } as Attribute;
  let a = values?.get(value);
  if (a !== undefined) return a;
  a = { key, type, value } as Attribute;
  if (values === undefined) shared.values = new Map([[value, a]]);
  else if (values.size < MAX_SHARED_VALUES_PER_KEY) values.set(value, a);
  // Too many values: an identifier. Forget the ones kept; the spans holding them keep theirs.
  else shared.values = null;
  return a;
}
