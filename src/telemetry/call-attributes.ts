import { context, createContextKey } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';

const CALL_ATTRIBUTES = createContextKey('tracelab.call-attributes');

/**
 * Runs `fn` (which starts an outgoing HTTP request) with attributes its CLIENT span gets as it
 * starts: the undici instrumentation's start hook reads them from the active context, so the
 * caller's policy (which resend, the breaker's state) lands on the span of that attempt.
 */
export function withCallAttributes<T>(attributes: Attributes, fn: () => T): T {
  return context.with(context.active().setValue(CALL_ATTRIBUTES, attributes), fn);
}

/** The attributes `withCallAttributes` set for the request starting now, if any. */
export function callAttributes(): Attributes {
  return (context.active().getValue(CALL_ATTRIBUTES) as Attributes | undefined) ?? {};
}
