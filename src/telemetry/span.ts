import { context, SpanStatusCode } from '@opentelemetry/api';
import type { Context, Span, SpanOptions, Tracer } from '@opentelemetry/api';
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

/**
 * Runs `fn` in a new active span, child of `parent` (the active context by default): a failure
 * is recorded on the span and rethrown, and the span ends in `finally` whatever happens. The
 * one way tracelab makes a span around work: stages, steps, bus messages, workloads.
 */
export function inSpan<T>(
  tracer: Tracer,
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  return tracer.startActiveSpan(name, options, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      recordError(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}
