/**
 * One consumer group on one topic (and Kafka partition), as a bus reports it: the bus measures
 * it, the collector serves it to the UI and `tracelab lag` prints it.
 */
export interface LagEntry {
  readonly group: string;
  readonly topic: string;
  /** Kafka partition; absent on Redis Streams (one stream, no partitions). */
  readonly partition?: number;
  /** Committed offset (Kafka) or last delivered id (Redis). */
  readonly committed?: string;
  /** End offset (Kafka) or last entry id (Redis). */
  readonly end?: string;
  /** Messages not yet delivered to the group. */
  readonly lag: number;
  /** Delivered but not yet acknowledged (Redis Streams' pending entries list). */
  readonly pending?: number;
}
