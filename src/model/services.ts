import { TOPICS } from './topics.js';
import type { TopicName } from './topics.js';

/**
 * The four services of the spec's "End-to-End Trace Flow", then inventory, which processing
 * calls synchronously over HTTP, then audit, a second consumer group on `notified-orders` that
 * runs only when asked (`tracelab up --audit`). Appended, never inserted: seeds derive from
 * the index.
 */
export const SERVICE_KINDS = [
  'api',
  'processing',
  'notification',
  'analytics',
  'inventory',
  'audit',
] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

export function isServiceKind(value: string): value is ServiceKind {
  return (SERVICE_KINDS as readonly string[]).includes(value);
}

/** What each service is, from the spec's "End-to-End Trace Flow": pure data. */
export interface ServiceDefinition {
  readonly kind: ServiceKind;
  /** `service.name` and consumer group name, as in the spec's containers. */
  readonly serviceName: string;
  /** The span that covers this service's handling of one order. */
  readonly stageSpan: string;
  /** Child spans of the stage span; each runs one workload. */
  readonly steps: readonly string[];
  readonly consumes?: TopicName;
  readonly publishes?: TopicName;
}

export const SERVICES: Readonly<Record<ServiceKind, ServiceDefinition>> = {
  api: {
    kind: 'api',
    serviceName: 'api-service',
    stageSpan: 'create_order',
    steps: ['input_validation', 'audit_logging'],
    publishes: TOPICS.orders,
  },
  processing: {
    kind: 'processing',
    serviceName: 'processing-service',
    stageSpan: 'process_order',
    steps: ['data_transformation', 'business_logic'],
    consumes: TOPICS.orders,
    publishes: TOPICS.processed,
  },
  notification: {
    kind: 'notification',
    serviceName: 'notification-service',
    stageSpan: 'notify_order',
    steps: ['message_formatting'],
    consumes: TOPICS.processed,
    publishes: TOPICS.notified,
  },
  analytics: {
    kind: 'analytics',
    serviceName: 'analytics-service',
    stageSpan: 'analyze_order',
    steps: ['data_analysis'],
    consumes: TOPICS.notified,
  },
  // No topic: processing calls it over HTTP (`POST /reservations`) for every order.
  inventory: {
    kind: 'inventory',
    serviceName: 'inventory-service',
    stageSpan: 'reserve_stock',
    steps: ['stock_check'],
  },
  // Fan-out: a second consumer group on the topic analytics reads; off the order's pipeline
  // (an order completes when analytics has counted it, audited or not).
  audit: {
    kind: 'audit',
    serviceName: 'audit-service',
    stageSpan: 'audit_order',
    steps: ['audit_check'],
    consumes: TOPICS.notified,
  },
};

/** The queue pipeline: the services in the order an order passes through them by topic. */
export const PIPELINE_ORDER = [
  'api',
  'processing',
  'notification',
  'analytics',
] as const satisfies readonly ServiceKind[];
/** A service of the queue pipeline: one stage of an order's record. */
export type PipelineKind = (typeof PIPELINE_ORDER)[number];
