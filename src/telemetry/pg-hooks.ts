import type { Span } from '@opentelemetry/api';
import { ATTR_DB_OPERATION_NAME, ATTR_DB_RESPONSE_RETURNED_ROWS } from './semconv.js';

/**
 * What the pg instrumentation (0.76) leaves out of its query spans, added by its hooks. It
 * emits the stable database conventions on its own (db.system.name, db.namespace,
 * db.query.text as the client sent it, with `$1` placeholders, never the values); but it
 * computes db.operation.name only for its duration metric, so the span gets it here, the
 * same way: the statement's first word, upper-cased.
 */
export function operationName(text: string): string {
  const first = text.trim().split(/\s/, 1)[0] ?? '';
  return first.replace(/;$/, '').toUpperCase();
}

export function pgRequestHook(span: Span, info: { query: { text: string } }): void {
  if (info.query.text) span.setAttribute(ATTR_DB_OPERATION_NAME, operationName(info.query.text));
}

/** Rows the statement returned (a SELECT's rows, an UPDATE's RETURNING rows). */
export function pgResponseHook(span: Span, info: { data: { rows?: unknown[] } }): void {
  const rows = info.data.rows;
  if (Array.isArray(rows)) span.setAttribute(ATTR_DB_RESPONSE_RETURNED_ROWS, rows.length);
}
