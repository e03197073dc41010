import { TracelabError } from '../errors/index.js';

/** What the store refuses, in one catalogue. */
export const STORE_ERRORS = {
  /** A stage or analytics met an order with no record: never accepted, or expired. */
  STORE_ERR_UNKNOWN_ORDER: 'STORE_ERR_UNKNOWN_ORDER',
} as const;
export type StoreErrorCode = (typeof STORE_ERRORS)[keyof typeof STORE_ERRORS];

export class StoreError extends TracelabError {
  declare readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string) {
    super(code, message);
  }
}

/**
 * An order the store holds no record of. Only the API creates a record, with its expiry: a
 * stage never creates one, so a message for such an order cannot leave a record that lives
 * for ever, nor be counted.
 */
export class UnknownOrderError extends StoreError {
  constructor(readonly orderId: string) {
    super(
      'STORE_ERR_UNKNOWN_ORDER',
      `no order ${orderId}: the API never accepted it, or its record expired`,
    );
  }
}
