/** The order as it travels between services: validated at every process boundary. */
export interface Order {
  readonly id: string;
  readonly item: string;
  readonly quantity: number;
  readonly createdAtMs: number;
}

export const ITEM_MAX_LENGTH = 200;
export const QUANTITY_MAX = 1_000_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isOrderId(id: string): boolean {
  return UUID.test(id);
}

/** Why a bus message could not be read as an order. */
export class MalformedOrderError extends Error {
  override readonly name = 'MalformedOrderError';
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
  if (typeof data !== 'object' || data === null) {
    throw new MalformedOrderError('message body is not a JSON object');
  }
  const o = data as Record<string, unknown>;
  if (typeof o.id !== 'string' || !isOrderId(o.id)) {
    throw new MalformedOrderError('id must be a UUID');
  }
  if (typeof o.item !== 'string' || o.item.length === 0 || o.item.length > ITEM_MAX_LENGTH) {
    throw new MalformedOrderError(`item must be a string of 1 to ${ITEM_MAX_LENGTH} characters`);
  }
  if (
    typeof o.quantity !== 'number' ||
    !Number.isInteger(o.quantity) ||
    o.quantity < 1 ||
    o.quantity > QUANTITY_MAX
  ) {
    throw new MalformedOrderError(`quantity must be a whole number from 1 to ${QUANTITY_MAX}`);
  }
  if (typeof o.createdAtMs !== 'number' || !Number.isFinite(o.createdAtMs)) {
    throw new MalformedOrderError('createdAtMs must be a number');
  }
  return { id: o.id, item: o.item, quantity: o.quantity, createdAtMs: o.createdAtMs };
}
