/** Attribute names tracelab sets on spans, in one place. Names from the spec are kept exactly. */

// Workload spans (spec: "Workload Distribution").
export const ATTR_WORKLOAD_TYPE = 'workload.type';
export const ATTR_WORKLOAD_INTENSITY = 'workload.intensity';
export const ATTR_WORKLOAD_OPERATION = 'workload.operation';
export const ATTR_WORKLOAD_ITEMS = 'workload.items';

// Resource figures on workload spans (spec: "Real-Time Resource Tracking").
export const ATTR_RESOURCE_CPU_AVG = 'resource.cpu.avg';
export const ATTR_RESOURCE_CPU_MAX = 'resource.cpu.max';
export const ATTR_RESOURCE_CPU_MIN = 'resource.cpu.min';
export const ATTR_RESOURCE_CPU_BOUND = 'resource.cpu_bound';
export const ATTR_RESOURCE_MEMORY_AVG_MB = 'resource.memory.avg_mb';
export const ATTR_RESOURCE_MEMORY_MAX_MB = 'resource.memory.max_mb';
export const ATTR_RESOURCE_MEMORY_MIN_MB = 'resource.memory.min_mb';
export const ATTR_RESOURCE_MEMORY_THRESHOLD_EXCEEDED = 'resource.memory_threshold_exceeded';
export const ATTR_RESOURCE_SAMPLES = 'resource.samples';
/** Exact process CPU time between span start and end, as % of one core. */
export const ATTR_RESOURCE_CPU_EXACT = 'resource.cpu.exact';

// Messaging: OpenTelemetry messaging conventions, plus the time a message waited.
export const ATTR_MESSAGING_SYSTEM = 'messaging.system';
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const ATTR_MESSAGING_DESTINATION_PARTITION_ID = 'messaging.destination.partition.id';
export const ATTR_MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name';
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id';
export const ATTR_MESSAGING_KAFKA_OFFSET = 'messaging.kafka.offset';
export const ATTR_MESSAGING_KAFKA_MESSAGE_KEY = 'messaging.kafka.message.key';
export const ATTR_MESSAGING_MESSAGE_BODY_SIZE = 'messaging.message.body.size';
/** How long the message waited between publish and the start of its handling (ms). */
export const ATTR_QUEUE_WAIT_MS = 'tracelab.queue.wait_ms';
/** Which delivery this is: 1 first, more on redelivery. */
export const ATTR_DELIVERY_COUNT = 'tracelab.delivery_count';
/** Low-cardinality kind of failure on a span whose status is ERROR. */
export const ATTR_ERROR_TYPE = 'error.type';

// Orders.
export const ATTR_ORDER_ID = 'order.id';
