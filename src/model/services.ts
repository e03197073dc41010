import { TOPICS } from './topics.js';
import type { TopicName } from './topics.js';

/** The four services, from the spec's "End-to-End Trace Flow". */
export const SERVICE_KINDS = [
  'api',
  'processing',
  'notification',
  'analytics',
  'inventory',
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
  inventory: {
    kind: 'inventory',
    serviceName: 'inventory-service',
    stageSpan: 'reserve_stock',
    steps: ['stock_check'],
  },
};

/** Services in the order an order passes through them. */
export const PIPELINE_ORDER: readonly ServiceKind[] = [
  'api',
  'processing',
  'notification',
  'analytics',
];
