import type { Telemetry, TelemetryOptions } from './sdk.js';
export type { Telemetry, TelemetryOptions } from './sdk.js';
export { createLogger } from './logger.js';
export { LOG_LEVELS } from './logger.js';
export type { Logger, LogLevel } from './logger.js';
export { HOUSEKEEPING_HEADER, isHousekeeping } from './housekeeping.js';
export { inSpan, recordError } from './span.js';
export { withCallAttributes } from './call-attributes.js';
export { nameServerSpan, traceRequests } from './server-spans.js';
export { clockAnchor, clockNow, hrTimeDiffUs } from './clock.js';
export {
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_RESPONSE_RETURNED_ROWS,
  ATTR_DB_SYSTEM_NAME,
  ATTR_DEAD_LETTER,
  ATTR_DEAD_LETTER_REASON,
  ATTR_DELIVERY_COUNT,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  ATTR_MESSAGING_KAFKA_MESSAGE_KEY,
  ATTR_MESSAGING_KAFKA_OFFSET,
  ATTR_MESSAGING_MESSAGE_BODY_SIZE,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_ORDER_ID,
  ATTR_ORDER_ITEM,
  ATTR_ORDER_QUANTITY,
  ATTR_CIRCUIT_BREAKER_STATE,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  EVENT_CIRCUIT_BREAKER_STATE_CHANGE,
  ATTR_PROCESS_PID,
  ATTR_QUEUE_WAIT_US,
  ATTR_RESOURCE_CPU_AVG,
  ATTR_RESOURCE_CPU_BOUND,
  ATTR_RESOURCE_CPU_MAX,
  ATTR_RESOURCE_CPU_MEASURED,
  ATTR_RESOURCE_CPU_MIN,
  ATTR_RESOURCE_CPU_SOURCE,
  ATTR_RESOURCE_CPU_THREADS,
  ATTR_RESOURCE_MEMORY_AVG_MB,
  ATTR_RESOURCE_MEMORY_MAX_MB,
  ATTR_RESOURCE_MEMORY_MIN_MB,
  ATTR_RESOURCE_MEMORY_THRESHOLD_EXCEEDED,
  ATTR_RESOURCE_SAMPLES,
  ATTR_SERVICE_NAME,
  ATTR_TRACELAB_DROP_REASON,
  ATTR_WORKLOAD_INTENSITY,
  ATTR_WORKLOAD_ITEMS,
  ATTR_WORKLOAD_OPERATION,
  ATTR_WORKLOAD_TYPE,
  METRIC_PROCESS_CPU_UTILIZATION,
  METRIC_PROCESS_MEMORY_USAGE,
  METRIC_SYSTEM_CPU_LOGICAL_COUNT,
  METRIC_TRACELAB_SPANS_DROPPED,
} from './semconv.js';

/**
 * Starts the OpenTelemetry SDK (see ./sdk.ts). The SDK is loaded here, when it is started:
 * importing this face loads none of it, so a process with tracing off never holds it, and
 * http is instrumented before the service code that uses it is loaded.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  return (await import('./sdk.js')).startTelemetry(options);
}
