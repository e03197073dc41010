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

/** In characters (code points), as a user counts them: one emoji is one. */
export const ITEM_MAX_LENGTH = 200;
export const QUANTITY_MAX = 1_000_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isOrderId(id: string): boolean {
  return UUID.test(id);
}

const ITEM = {
  type: 'string',
  minLength: 1,
  maxLength: ITEM_MAX_LENGTH,
  // Something a person can read: an item that is only white space names nothing. And text:
  // a lone UTF-16 surrogate (JSON's "\ud800") is no character, and Redis, which keeps
  // UTF-8, would store it as U+FFFD, another item than the one the bus carries.
  pattern: '^(?=[\\s\\S]*\\S)[^\\uD800-\\uDFFF]*$',
  description: `a string of 1 to ${ITEM_MAX_LENGTH} characters, not only white space, of valid Unicode (no lone surrogate)`,
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
