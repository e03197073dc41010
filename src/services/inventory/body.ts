import { ORDER_REQUEST_SCHEMA } from '../../model/index.js';

/**
 * The body of `POST /reservations`: the order's id, item and quantity, under the same item and
 * quantity rules as the order itself, so what the API accepted inventory accepts too.
 */
export const RESERVATION_REQUEST_SCHEMA = {
  type: 'object',
  required: ['orderId', 'item', 'quantity'],
  additionalProperties: false,
  properties: {
    orderId: {
      type: 'string',
      pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
      description: "the order's id, a lower-case UUID",
    },
    item: ORDER_REQUEST_SCHEMA.properties.item,
    quantity: ORDER_REQUEST_SCHEMA.properties.quantity,
  },
} as const;
