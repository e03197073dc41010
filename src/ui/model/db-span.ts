import type { JaegerSpan } from '../../model/index.js';
import { dbStatementOf, dbSystemOf } from './calls.js';
import { formatDuration } from './format.js';
import type { SpanNode } from './trace.js';
import { tagValue } from './trace.js';

/** A pool's connect span: `pg-pool.connect`, or any other pool's `….pool.connect`. */
const POOL_CONNECT = /pool\.connect$/i;

/** What a database CLIENT span says about its statement, by the database conventions. */
export interface DbCall {
  readonly system: string;
  readonly statement: string | undefined;
  readonly operation: string | undefined;
  readonly namespace: string | undefined;
  /** host:port of the server. */
  readonly server: string | undefined;
  readonly rows: number | undefined;
}

const text = (span: JaegerSpan, key: string) => {
  const v = tagValue(span.tags, key);
  return v === undefined ? undefined : String(v);
};

export function dbCallOf(span: JaegerSpan): DbCall | undefined {
  const system = dbSystemOf(span);
  if (system === undefined || tagValue(span.tags, 'span.kind') !== 'client') return undefined;
  // A pool's connect span carries the database's attributes too, but runs no statement.
  if (POOL_CONNECT.test(span.operationName)) return undefined;
  const host = text(span, 'server.address') ?? text(span, 'net.peer.name');
  const port = text(span, 'server.port') ?? text(span, 'net.peer.port');
  const rows = Number(tagValue(span.tags, 'db.response.returned_rows'));
  return {
    system,
    statement: dbStatementOf(span),
    operation: text(span, 'db.operation.name') ?? text(span, 'db.operation'),
    namespace: text(span, 'db.namespace') ?? text(span, 'db.name'),
    server: host === undefined ? undefined : port === undefined ? host : `${host}:${port}`,
    rows:
      Number.isFinite(rows) && tagValue(span.tags, 'db.response.returned_rows') !== undefined
        ? rows
        : undefined,
  };
}

/** A pool connect span's time: waiting for a free connection, and opening a new one (its children). */
export interface PoolConnect {
  readonly waitUs: number;
  readonly openingUs: number;
}

export function poolConnectOf(node: SpanNode): PoolConnect | undefined {
  if (!POOL_CONNECT.test(node.span.operationName)) return undefined;
  let openingUs = 0;
  for (const c of node.children) {
    openingUs += Math.max(0, Math.min(c.endUs, node.endUs) - Math.max(c.startUs, node.startUs));
  }
  return { waitUs: Math.max(0, node.span.duration - openingUs), openingUs };
}

/** The database work directly under a span: its statements, and waiting for connections. */
export interface DbWorkUnder {
  readonly statements: number;
  readonly statementsUs: number;
  readonly poolWaitUs: number;
  readonly connects: number;
  /** The statement run most often under it, when more than once. */
  readonly repeated: { readonly statement: string; readonly count: number } | undefined;
}

export function dbWorkUnder(node: SpanNode): DbWorkUnder | undefined {
  let statements = 0;
  let statementsUs = 0;
  let poolWaitUs = 0;
  let connects = 0;
  const counts = new Map<string, number>();
  for (const c of node.children) {
    const pool = poolConnectOf(c);
    if (pool) {
      connects++;
      poolWaitUs += pool.waitUs;
      continue;
    }
    const db = dbCallOf(c.span);
    if (!db?.statement) continue;
    statements++;
    statementsUs += c.span.duration;
    counts.set(db.statement, (counts.get(db.statement) ?? 0) + 1);
  }
  if (statements === 0 && connects === 0) return undefined;
  let repeated: DbWorkUnder['repeated'];
  for (const [statement, count] of counts) {
    if (count > 1 && count > (repeated?.count ?? 0)) repeated = { statement, count };
  }
  return { statements, statementsUs, poolWaitUs, connects, repeated };
}

/** Statements are shown up to this length beside their bar; the details hold them whole. */
const LABEL_STATEMENT_MAX = 48;

/**
 * What a waterfall row adds beside its duration for database work: the statement (the span's
 * name says only its verb and database), or a pool's wait for a connection.
 */
export function dbLabelOf(node: SpanNode): string | undefined {
  const pool = poolConnectOf(node);
  if (pool) {
    return pool.waitUs > 0 ? `waited ${formatDuration(pool.waitUs)} for a connection` : undefined;
  }
  const statement = dbCallOf(node.span)?.statement?.replace(/\s+/g, ' ').trim();
  if (!statement) return undefined;
  return statement.length > LABEL_STATEMENT_MAX
    ? `${statement.slice(0, LABEL_STATEMENT_MAX - 1)}…`
    : statement;
}

/** The database work of a whole trace: its statements and their time, and the pool waits. */
export interface TraceDbWork {
  readonly statements: number;
  readonly statementsUs: number;
  readonly poolWaitUs: number;
}

export function traceDbWork(nodes: readonly SpanNode[]): TraceDbWork {
  let statements = 0;
  let statementsUs = 0;
  let poolWaitUs = 0;
  for (const n of nodes) {
    const pool = poolConnectOf(n);
    if (pool) poolWaitUs += pool.waitUs;
    else if (dbCallOf(n.span)?.statement !== undefined) {
      statements++;
      statementsUs += n.span.duration;
    }
  }
  return { statements, statementsUs, poolWaitUs };
}
