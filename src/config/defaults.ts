/**
 * The lab's default addresses, in one place: each command's option defaults, the collector's
 * own and the examples in messages read them from here, so a port cannot drift between them.
 */

/** Where every server listens unless told otherwise: this machine only. */
export const DEFAULT_HOST = '127.0.0.1';
/** The API service (`tracelab service api`, `--api-port`). */
export const DEFAULT_API_PORT = 8080;
/** The inventory service (`tracelab service inventory`, `--inventory-port`). */
export const DEFAULT_INVENTORY_PORT = 8081;
/** The collector's OTLP/HTTP receiver (the OpenTelemetry default). */
export const DEFAULT_OTLP_PORT = 4318;
/** The collector's Jaeger-compatible query API and UI (Jaeger's own default). */
export const DEFAULT_QUERY_PORT = 16686;
/** `tracelab up`'s admin endpoint, where `tracelab fault` switches faults. */
export const DEFAULT_ADMIN_PORT = 8079;
const DEFAULT_REDIS_PORT = 6379;

export const DEFAULT_API_URL = `http://${DEFAULT_HOST}:${DEFAULT_API_PORT}`;
export const DEFAULT_INVENTORY_URL = `http://${DEFAULT_HOST}:${DEFAULT_INVENTORY_PORT}`;
export const DEFAULT_OTLP_URL = `http://${DEFAULT_HOST}:${DEFAULT_OTLP_PORT}`;
export const DEFAULT_QUERY_URL = `http://${DEFAULT_HOST}:${DEFAULT_QUERY_PORT}`;
export const DEFAULT_ADMIN_URL = `http://${DEFAULT_HOST}:${DEFAULT_ADMIN_PORT}`;
export const DEFAULT_REDIS_URL = `redis://${DEFAULT_HOST}:${DEFAULT_REDIS_PORT}`;
