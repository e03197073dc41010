import { SpanKind } from '@opentelemetry/api';
import type { Attributes, Tracer } from '@opentelemetry/api';
import {
  inSpan,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ORDER_ID,
} from '../telemetry/index.js';
import type { AuditLog, OrderStore } from '../store/index.js';

/** Span name (`<operation> <what>`) and the Redis commands of each store call. */
const CALLS = {
  create: ['EVALSHA store_order', 'EVALSHA (HSET EXPIRE HINCRBY)'],
  remove: ['EVALSHA remove_order', 'EVALSHA (HEXISTS DEL HINCRBY)'],
  markStage: ['EVALSHA mark_stage', 'EVALSHA (HEXISTS HSETNX HINCRBY)'],
  recordAnalytics: ['EVALSHA record_analytics', 'EVALSHA (HEXISTS HSETNX HINCRBY HINCRBY HINCRBY)'],
  has: ['HEXISTS order', 'HEXISTS'],
  get: ['HGETALL order', 'HGETALL'],
  totals: ['MULTI analytics', 'MULTI HGETALL HGETALL HGETALL HGETALL EXEC'],
  markDeadLettered: ['EVAL mark_dead_letter', 'EVAL (EXISTS HSET)'],
  clearDeadLettered: ['HDEL order', 'HDEL'],
  recordAudit: ['EVALSHA record_audit', 'EVALSHA (HEXISTS SET HINCRBY)'],
  auditedAt: ['GET audit', 'GET'],
  auditCount: ['HGET audit', 'HGET'],
} as const;

/**
 * One CLIENT span per store call, in the database conventions, instead of the ioredis
 * instrumentation's span per command: a learner sees each write to the order record and
 * what it cost, without `multi`/`expire`/`exec` noise, and the hot path makes fewer spans.
 */
export function withStoreTracing(store: OrderStore, tracer: Tracer): OrderStore {
  const traced = tracedCall(tracer);
  return {
    create: (order, traceId) => traced('create', order.id, () => store.create(order, traceId)),
    remove: (id) => traced('remove', id, () => store.remove(id)),
    markStage: (id, stage, atMs) => traced('markStage', id, () => store.markStage(id, stage, atMs)),
    recordAnalytics: (order, atMs) =>
      traced('recordAnalytics', order.id, () => store.recordAnalytics(order, atMs)),
    has: (id) => traced('has', id, () => store.has(id)),
    get: (id) => traced('get', id, () => store.get(id)),
    totals: () => traced('totals', undefined, () => store.totals()),
    markDeadLettered: (id, stage, reason, atMs) =>
      traced('markDeadLettered', id, () => store.markDeadLettered(id, stage, reason, atMs)),
    clearDeadLettered: (id) => traced('clearDeadLettered', id, () => store.clearDeadLettered(id)),
  };
}

/** The audit-service's records, traced the same way. */
export function withAuditTracing(audit: AuditLog, tracer: Tracer): AuditLog {
  const traced = tracedCall(tracer);
  return {
    record: (id, atMs) => traced('recordAudit', id, () => audit.record(id, atMs)),
    auditedAt: (id) => traced('auditedAt', id, () => audit.auditedAt(id)),
    count: () => traced('auditCount', undefined, () => audit.count()),
  };
}

function tracedCall(tracer: Tracer) {
  return <R>(call: keyof typeof CALLS, orderId: string | undefined, run: () => Promise<R>) => {
    const [name, commands] = CALLS[call];
    const attributes: Attributes = {
      [ATTR_DB_SYSTEM_NAME]: 'redis',
      [ATTR_DB_OPERATION_NAME]: name.slice(0, name.indexOf(' ')),
      [ATTR_DB_QUERY_TEXT]: commands,
    };
    if (orderId !== undefined) attributes[ATTR_ORDER_ID] = orderId;
    return inSpan(tracer, name, { kind: SpanKind.CLIENT, attributes }, run);
  };
}
