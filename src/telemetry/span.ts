import { context, SpanStatusCode } from '@opentelemetry/api';
import type { Context, HrTime, Span, SpanOptions, Tracer } from '@opentelemetry/api';
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
 *
 * The span ends when `fn` settles, or, when `fn` succeeds after calling `endAt(time)`, at that
 * time: a `send` span ends at the instant its message was handed to the bus.
 */
export function inSpan<T>(
  tracer: Tracer,
  name: string,
  options: SpanOptions,
  fn: (span: Span, endAt: (time: HrTime) => void) => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  return tracer.startActiveSpan(name, options, parent, async (span) => {
    let endTime: HrTime | undefined;
    try {
      return await fn(span, (time) => (endTime = time));
    } catch (err) {
      endTime = undefined;
      recordError(span, err);
      throw err;
    } finally {
      span.end(endTime);
    }
  });
}
