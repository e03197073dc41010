import { TracelabError } from '../errors/index.js';

/**
 * Every error the collector reports, in one catalogue: a stable code, the HTTP status it maps
 * to at the edge, and a message a user can act on.
 */
export const COLLECTOR_ERRORS = {
  OTLP_MALFORMED_BODY: { status: 400, message: 'malformed OTLP request body' },
  OTLP_BODY_TOO_LARGE: { status: 413, message: 'request body is larger than the limit' },
  OTLP_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'unsupported Content-Type; send application/x-protobuf or application/json',
  },
  OTLP_UNSUPPORTED_ENCODING: {
    status: 415,
    message: 'unsupported Content-Encoding; send gzip or no encoding',
  },
  METHOD_NOT_ALLOWED: { status: 405, message: 'method not allowed' },
  NOT_FOUND: { status: 404, message: 'not found' },
  TRACE_NOT_FOUND: { status: 404, message: 'trace not found' },
  QUERY_BAD_PARAM: { status: 400, message: 'bad query parameter' },
  LAG_NOT_CONFIGURED: {
    status: 404,
    message: 'consumer lag is not available: the collector was started without bus settings',
  },
  LAG_UNAVAILABLE: { status: 503, message: 'the message bus did not answer' },
  NOT_AVAILABLE_WITH_JAEGER: {
    status: 404,
    message: 'not available with Jaeger: this comes from the tracelab collector',
  },
  ANALYSIS_NOT_CONFIGURED: {
    status: 404,
    message: 'trace analysis is not available: the collector was started without it',
  },
  SCENARIO_NOT_CONFIGURED: {
    status: 404,
    message:
      'scenarios are not available: the collector was started without --admin-url (tracelab up passes it)',
  },
  SCENARIO_NONE: { status: 404, message: 'no scenario is running' },
  SCENARIO_BAD_ANSWER: { status: 400, message: 'bad answer' },
  SCENARIO_LAB_UNREACHABLE: { status: 502, message: "tracelab up's admin endpoint did not answer" },
  AUTOSCALE_NOT_CONFIGURED: {
    status: 404,
    message:
      'scaling events are not available: the collector was started without --admin-url (tracelab up passes it)',
  },
  AUTOSCALE_LAB_UNREACHABLE: {
    status: 502,
    message: "tracelab up's admin endpoint did not answer",
  },
  JAEGER_UNREACHABLE: { status: 502, message: 'Jaeger did not answer' },
  LISTEN_FAILED: { status: 500, message: 'cannot listen on the address asked for' },
  DATA_FILE_CORRUPT: { status: 500, message: 'the data file is corrupt' },
  DATA_FILE_UNREADABLE: { status: 500, message: 'the data file cannot be read' },
  DATA_FILE_UNWRITABLE: { status: 500, message: 'the data file cannot be written' },
  INTERNAL: { status: 500, message: 'internal error' },
} as const;

export type CollectorErrorCode = keyof typeof COLLECTOR_ERRORS;

export class CollectorError extends TracelabError {
  declare readonly code: CollectorErrorCode;
  readonly status: number;
  constructor(code: CollectorErrorCode, detail?: string) {
    super(code, detail ?? COLLECTOR_ERRORS[code].message);
    this.status = COLLECTOR_ERRORS[code].status;
  }
}

export interface ErrorReply {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** Any error thrown while serving a request, as what the client is told. */
export function toErrorReply(err: unknown): ErrorReply {
  if (err instanceof CollectorError) {
    return { status: err.status, code: err.code, message: err.message };
  }
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (e?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const { status, message } = COLLECTOR_ERRORS.OTLP_BODY_TOO_LARGE;
    return { status, code: 'OTLP_BODY_TOO_LARGE', message };
  }
  if (e?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    const { status, message } = COLLECTOR_ERRORS.OTLP_UNSUPPORTED_MEDIA_TYPE;
    return { status, code: 'OTLP_UNSUPPORTED_MEDIA_TYPE', message };
  }
  // Errors fastify raised about the request itself (bad framing, bad URL) keep their status.
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return {
      status: e.statusCode,
      code: typeof e.code === 'string' ? e.code : 'BAD_REQUEST',
      message: String(e.message),
    };
  }
  const { status, message } = COLLECTOR_ERRORS.INTERNAL;
  return { status, code: 'INTERNAL', message };
}
