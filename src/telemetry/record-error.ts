import { SpanStatusCode } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from './semconv.js';

/**
 * Records a failure on a span the OpenTelemetry way: the exception as an event, status ERROR
 * with its message, and `error.type` (the error's string code, e.g. ECONNREFUSED, else its name).
 */
export function recordError(span: Span, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  const code = (error as { code?: unknown }).code;
  span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  span.setAttribute(ATTR_ERROR_TYPE, typeof code === 'string' ? code : error.name);
}
