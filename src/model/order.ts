import { TracelabError } from '../errors/index.js';
import { describeSchemaErrors, validatorFor } from './schema.js';

/** The order as it travels between services: validated at every process boundary. */
export interface Order {
  readonly id: string;
  readonly item: string;
  readonly quantity: number;
  readonly createdAtMs: number;
}

/** What a client sends to `POST /order`. */
export interface OrderRequest {
  readonly item: string;
  readonly quantity: number;
}

/** In user-perceived characters (graphemes), as a reader counts them: one emoji is one. */
export const ITEM_MAX_LENGTH = 100;
/**
 * A cheap bound in code points, checked before the graphemes are counted: room for 100 of the
 * longest common emoji (a family of seven code points, a flag with tags), not for a megabyte.
 */
export const ITEM_MAX_CODE_POINTS = 1000;
export const QUANTITY_MAX = 1_000_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isOrderId(id: string): boolean {
  return UUID.test(id);
}

// Each rule in its own part, with its own description, so a refusal says which one failed.
const ITEM = {
  type: 'string',
  description: 'a string',
  allOf: [
    {
      maxLength: ITEM_MAX_CODE_POINTS,
      graphemes: { min: 1, max: ITEM_MAX_LENGTH },
      description: `1 to ${ITEM_MAX_LENGTH} characters long, counted as a reader does (one emoji is one; at most ${ITEM_MAX_CODE_POINTS} code points)`,
    },
    {
      // NUL, the ESC of an ANSI escape, newlines, tabs: nothing that acts on a terminal or a log.
      pattern: '^\\P{Cc}*$',
      description: 'free of control characters (NUL, escape, newline, tab…)',
    },
    {
      // Something a person can read: white space and invisible format characters (U+200B,
      // the joiner U+200D, variation selectors) name nothing on their own.
      pattern: '[^\\p{White_Space}\\p{Cc}\\p{Cf}\\p{Default_Ignorable_Code_Point}]',
      description:
        'more than white space and invisible characters (U+200B, U+200D…): at least one visible character',
    },
    {
      // A lone UTF-16 surrogate (JSON's "\ud800") is no character, and Redis, which keeps
      // UTF-8, would store it as U+FFFD, another item than the one the bus carries.
      pattern: '^[^\\uD800-\\uDFFF]*$',
      description: 'valid Unicode (no lone surrogate)',
    },
  ],
} as const;

const QUANTITY = {
  type: 'integer',
  minimum: 1,
  maximum: QUANTITY_MAX,
  description: `a whole number from 1 to ${QUANTITY_MAX}`,
} as const;

/** The body of `POST /order`: the API route validates with exactly this schema. */
export const ORDER_REQUEST_SCHEMA = {
  type: 'object',
  required: ['item', 'quantity'],
  additionalProperties: false,
  properties: { item: ITEM, quantity: QUANTITY },
} as const;

/** An order on the bus: the same item and quantity rules, plus what the API added. */
export const ORDER_SCHEMA = {
  type: 'object',
  required: ['id', 'item', 'quantity', 'createdAtMs'],
  properties: {
    id: { type: 'string', pattern: UUID.source, description: 'a UUID' },
    item: ITEM,
    quantity: QUANTITY,
    createdAtMs: { type: 'number', description: 'a number (epoch ms)' },
  },
} as const;

/** Why a bus message could not be read as an order. */
export class MalformedOrderError extends TracelabError {
  constructor(message: string) {
    super('ORDER_ERR_MALFORMED', message);
  }
}

export function encodeOrder(order: Order): string {
  return JSON.stringify(order);
}

/** Parses a bus message body; throws MalformedOrderError saying what is wrong. */
export function decodeOrder(value: string): Order {
  let data: unknown;
  try {
    data = JSON.parse(value);
  } catch {
    throw new MalformedOrderError('message body is not JSON');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new MalformedOrderError('message body is not a JSON object');
  }
  const validate = validatorFor(ORDER_SCHEMA);
  if (!validate(data)) {
    throw new MalformedOrderError(describeSchemaErrors(validate.errors ?? [], 'order'));
  }
  const o = data as Order;
  return { id: o.id, item: o.item, quantity: o.quantity, createdAtMs: o.createdAtMs };
}
