import type { OptionSpec } from './options.js';

/** Options of one service process; `tracelab up` passes them through to each child. */
export const serviceOptions: readonly OptionSpec[] = [
  {
    name: 'host',
    type: 'string',
    env: 'TRACELAB_HOST',
    default: '127.0.0.1',
    description: 'address the API binds to',
  },
  {
    name: 'api-port',
    type: 'number',
    env: 'TRACELAB_API_PORT',
    default: 8080,
    integer: true,
    min: 0,
    description: 'API service HTTP port (0: any free port)',
  },
  {
    name: 'concurrency',
    type: 'number',
    env: 'TRACELAB_CONCURRENCY',
    default: 1,
    integer: true,
    min: 1,
    description: 'messages a consumer handles at once (1 makes head-of-line blocking visible)',
  },
  {
    name: 'otlp-endpoint',
    type: 'string',
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    default: 'http://127.0.0.1:4318',
    description: 'where spans are sent (OTLP/HTTP base URL)',
  },
];
