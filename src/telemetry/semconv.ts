/**
 * Attribute names tracelab sets on spans, in one place: OpenTelemetry's own where it defines
 * them, ours (from the spec, kept exactly) where it does not.
 *
 * OpenTelemetry's names are copied here as strings, as its semantic-conventions package
 * advises for incubating ones: its incubating entry point is a 1.7 MB module that every
 * process would otherwise hold in memory for a dozen names (about 7 MB of heap each).
 * test/semconv.test.ts checks each copy against the package.
 */

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
/**
 * Ours. false: the span was too short to measure its CPU (or a thread's CPU time could not be
 * read), and it carries no `resource.cpu.*` figure nor `resource.cpu_bound`.
 */
export const ATTR_RESOURCE_CPU_MEASURED = 'resource.cpu.measured';
/** Ours. Whose CPU time the figures count: `thread` (the span's own threads) or `process`. */
export const ATTR_RESOURCE_CPU_SOURCE = 'resource.cpu.source';
/** Ours. Threads whose CPU time is counted: the span's own, and each pool thread it used. */
export const ATTR_RESOURCE_CPU_THREADS = 'resource.cpu.threads';

// Messaging: OpenTelemetry's messaging conventions (incubating, so the package is pinned to
// one version), plus the time a message waited.
export const ATTR_MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name';
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const ATTR_MESSAGING_DESTINATION_PARTITION_ID = 'messaging.destination.partition.id';
export const ATTR_MESSAGING_KAFKA_MESSAGE_KEY = 'messaging.kafka.message.key';
export const ATTR_MESSAGING_KAFKA_OFFSET = 'messaging.kafka.offset';
export const ATTR_MESSAGING_MESSAGE_BODY_SIZE = 'messaging.message.body.size';
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id';
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const ATTR_MESSAGING_SYSTEM = 'messaging.system';

// Stable names. Store calls: one CLIENT span each; db.query.text is the commands, without
// their values.
export const ATTR_DB_OPERATION_NAME = 'db.operation.name';
export const ATTR_DB_QUERY_TEXT = 'db.query.text';
/** Incubating: the rows a statement returned (set on PostgreSQL query spans). */
export const ATTR_DB_RESPONSE_RETURNED_ROWS = 'db.response.returned_rows';
export const ATTR_DB_SYSTEM_NAME = 'db.system.name';
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_SERVICE_INSTANCE_ID = 'service.instance.id';
export const ATTR_SERVICE_NAME = 'service.name';

/**
 * How long the message waited (µs, an integer): from the producer handing it to the bus (its
 * `send` span's end) to the start of the consumer span, both on the span clock.
 */
export const ATTR_QUEUE_WAIT_US = 'tracelab.queue.wait_us';
/** Which delivery this is: 1 first, more on redelivery. */
export const ATTR_DELIVERY_COUNT = 'tracelab.delivery_count';

// Orders.
export const ATTR_ORDER_ID = 'order.id';
export const ATTR_ORDER_ITEM = 'order.item';
export const ATTR_ORDER_QUANTITY = 'order.quantity';

// Dead letters.
/** The message was set aside on `<topic>.dlq` instead of being handled. */
export const ATTR_DEAD_LETTER = 'tracelab.dead_letter';
export const ATTR_DEAD_LETTER_REASON = 'tracelab.dead_letter.reason';

// Calls to a dependency (processing → inventory).
/** OpenTelemetry HTTP: which resend of the request this attempt is (set on resends: 1, 2, …). */
export const ATTR_HTTP_REQUEST_RESEND_COUNT = 'http.request.resend_count';
// HTTP server spans (server-spans.ts), stable HTTP conventions.
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
export const ATTR_HTTP_ROUTE = 'http.route';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const ATTR_URL_PATH = 'url.path';
export const ATTR_URL_SCHEME = 'url.scheme';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_CLIENT_ADDRESS = 'client.address';
export const ATTR_NETWORK_PROTOCOL_VERSION = 'network.protocol.version';
export const ATTR_USER_AGENT_ORIGINAL = 'user_agent.original';
/** The circuit breaker's state as the call went out: closed, open or half_open. */
export const ATTR_CIRCUIT_BREAKER_STATE = 'tracelab.circuit_breaker.state';
/** Span event: the breaker changed state (attributes `from`, `to`). */
export const EVENT_CIRCUIT_BREAKER_STATE_CHANGE = 'circuit_breaker.state_change';

// Resource monitor metrics: process.cpu.utilization (Gauge, `1`: CPU time since the last
// sample ÷ wall time ÷ CPUs available), process.memory.usage (UpDownCounter, `By`),
// system.cpu.logical.count (UpDownCounter, `{cpu}`: what the ratio is relative to).
export const ATTR_PROCESS_PID = 'process.pid';
export const METRIC_PROCESS_CPU_UTILIZATION = 'process.cpu.utilization';
export const METRIC_PROCESS_MEMORY_USAGE = 'process.memory.usage';
export const METRIC_SYSTEM_CPU_LOGICAL_COUNT = 'system.cpu.logical.count';

/** Spans a service gave up exporting (a cumulative sum), by the `reason` they failed for. */
export const METRIC_TRACELAB_SPANS_DROPPED = 'tracelab.spans.dropped';
export const ATTR_TRACELAB_DROP_REASON = 'reason';
