/** The pipeline's topics (Redis stream names and Kafka topic names alike). */
export const TOPICS = {
  orders: 'orders',
  processed: 'processed-orders',
  notified: 'notified-orders',
} as const;
export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];
