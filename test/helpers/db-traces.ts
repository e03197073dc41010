import type { JaegerSpan, JaegerTag, JaegerTrace } from '../../src/model/jaeger-trace.js';

/**
 * Hand-made order traces in the shape the lab's services and @opentelemetry/instrumentation-pg
 * give them: api publishes the order, processing handles it and calls a stock service
 * synchronously over HTTP (a CLIENT span whose child SERVER span is in the other service), which
 * runs its statements in one transaction on a pooled connection: a `pg-pool.connect` span (with
 * a `pg.connect` child when it opened a new connection), then one CLIENT span per statement
 * with the stable database conventions. Then processing publishes to notification.
 */

export const DB_T0 = 1_700_000_000_000_000;

type Value = string | number | boolean;

interface SpanSpec {
  id: string;
  parent?: string;
  service: string;
  name: string;
  kind?: 'server' | 'client' | 'producer' | 'consumer';
  startUs: number;
  durationUs: number;
  tags?: Record<string, Value>;
}

/** Table and column names of the statements: a test swaps them to show nothing depends on them. */
export interface Schema {
  readonly database: string;
  readonly insert: string;
  readonly readRows: string;
  readonly readRow: string;
  readonly lookup: string;
  readonly update: string;
  readonly hotRow: string;
}

export const STOCK_SCHEMA: Schema = {
  database: 'tracelab',
  insert:
    'INSERT INTO reservations (order_id, item_id, quantity, status) VALUES ($1, $2, $3, $4) ON CONFLICT (order_id) DO NOTHING',
  readRows: 'SELECT warehouse_id, quantity FROM stock WHERE item_id = $1',
  readRow: 'SELECT quantity FROM stock WHERE item_id = $1 AND warehouse_id = $2',
  lookup:
    'SELECT count(*), sum(delta) FROM stock_movements WHERE item_id = $1 AND at > now() - interval $2',
  update:
    'UPDATE stock SET quantity = quantity - $1 WHERE item_id = $2 AND warehouse_id = $3 AND quantity >= $1',
  hotRow: 'UPDATE counters SET value = value + 1 WHERE name = $1',
};

export const BLOG_SCHEMA: Schema = {
  database: 'blog',
  insert: 'INSERT INTO visits (post_id, at) VALUES ($1, now())',
  readRows: 'SELECT id, body FROM comments WHERE post_id = $1',
  readRow: 'SELECT body FROM comments WHERE id = $1',
  lookup: 'SELECT title FROM posts WHERE slug = $1',
  update: 'UPDATE posts SET views = views + 1 WHERE id = $1',
  hotRow: 'UPDATE site_stats SET hits = hits + 1 WHERE site = $1',
};

export interface OrderShape {
  /** Start of the trace, µs after DB_T0. */
  readonly atUs: number;
  /** Read this many rows one statement each instead of one statement for all. */
  readonly nPlusOne?: number;
  /** Time waiting for a pooled connection. */
  readonly poolWaitUs?: number;
  /** The pool opened a new connection (a `pg.connect` child) instead. */
  readonly newConnection?: boolean;
  /** The lookup statement's time (300 µs when fine). */
  readonly lookupUs?: number;
  /** Update the hot row first, taking this long (it waits for the row lock while others hold it). */
  readonly hotRowUs?: number;
  /** Time the caller works after updating the hot row, holding its lock (none). */
  readonly holdUs?: number;
  /** BEGIN's time (80 µs when fine). */
  readonly beginUs?: number;
  /** The COMMIT's time (µs): a server flushing its log slowly. */
  readonly commitUs?: number;
  /** Every statement this many times slower: a stall of the caller or the machine. */
  readonly stalled?: number;
  readonly schema?: Schema;
  readonly service?: string;
}

const STATEMENT_US = 300;

function dbTags(schema: Schema, text: string, rows?: number): Record<string, Value> {
  return {
    'db.system.name': 'postgresql',
    'db.namespace': schema.database,
    'db.query.text': text,
    'db.operation.name': /^\s*(\w+)/.exec(text)![1]!.toUpperCase(),
    'server.address': '127.0.0.1',
    'server.port': 5432,
    ...(rows === undefined ? {} : { 'db.response.returned_rows': rows }),
  };
}

/** One order's trace, numbered n. */
export function orderTrace(n: number, shape: OrderShape): JaegerTrace {
  const schema = shape.schema ?? STOCK_SCHEMA;
  const inventory = shape.service ?? 'inventory-service';
  const traceID = n.toString(16).padStart(32, '0');
  const spans: SpanSpec[] = [];
  const t = DB_T0 + shape.atUs;
  const orderId = `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;
  spans.push(
    {
      id: 'a1',
      service: 'api-service',
      name: 'POST /order',
      kind: 'server',
      startUs: t,
      durationUs: 2000,
      tags: { 'order.id': orderId, 'http.request.method': 'POST', 'http.route': '/order' },
    },
    {
      id: 'a2',
      parent: 'a1',
      service: 'api-service',
      name: 'send orders',
      kind: 'producer',
      startUs: t + 1500,
      durationUs: 300,
    },
  );

  // The stock service's transaction, statement after statement.
  let at = t + 3300;
  const statements: SpanSpec[] = [];
  let s = 0;
  const statement = (text: string, fineUs: number, rows?: number) => {
    const us = fineUs * (shape.stalled ?? 1);
    statements.push({
      id: `d${++s}`,
      parent: 'r1',
      service: inventory,
      name: `pg.query:${/^\s*(\w+)/.exec(text)![1]!.toUpperCase()} ${schema.database}`,
      kind: 'client',
      startUs: at,
      durationUs: us,
      tags: dbTags(schema, text, rows),
    });
    at += us + 20;
  };
  const poolWait = shape.poolWaitUs ?? 0;
  const connectUs = shape.newConnection ? 1500 : 0;
  // As pg's instrumentation makes them: CLIENT spans with the database's attributes, no statement.
  const connection = {
    'db.system.name': 'postgresql',
    'db.namespace': schema.database,
    'server.address': '127.0.0.1',
    'server.port': 5432,
  };
  statements.push({
    id: 'c1',
    parent: 'r1',
    service: inventory,
    name: 'pg-pool.connect',
    kind: 'client',
    startUs: at,
    durationUs: poolWait + connectUs + 30,
    tags: connection,
  });
  if (shape.newConnection) {
    statements.push({
      id: 'c2',
      parent: 'c1',
      service: inventory,
      name: 'pg.connect',
      kind: 'client',
      startUs: at + 15,
      durationUs: connectUs,
      tags: connection,
    });
  }
  at += poolWait + connectUs + 50;
  statement('BEGIN', shape.beginUs ?? 80);
  statement(schema.insert, STATEMENT_US, 0);
  if (shape.hotRowUs !== undefined) {
    statement(schema.hotRow, shape.hotRowUs, 0);
    at += shape.holdUs ?? 0;
  }
  if (shape.nPlusOne) {
    for (let w = 0; w < shape.nPlusOne; w++) statement(schema.readRow, 250, 1);
  } else statement(schema.readRows, STATEMENT_US, 8);
  statement(schema.lookup, shape.lookupUs ?? STATEMENT_US, 1);
  statement(schema.update, STATEMENT_US, 1);
  statement('COMMIT', shape.commitUs ?? 80);
  const reserveEnd = at + 100;
  const reserveUs = reserveEnd - (t + 3300);

  spans.push(
    {
      id: 'p1',
      service: 'processing-service',
      parent: 'a2',
      name: 'process orders',
      kind: 'consumer',
      startUs: t + 3000,
      durationUs: reserveUs + 1500,
      tags: { 'messaging.destination.name': 'orders', 'messaging.system': 'redis' },
    },
    {
      id: 'p2',
      parent: 'p1',
      service: 'processing-service',
      name: 'process_order',
      startUs: t + 3000,
      durationUs: reserveUs + 1400,
      tags: { 'order.id': orderId },
    },
    {
      id: 'p3',
      parent: 'p2',
      service: 'processing-service',
      name: 'POST',
      kind: 'client',
      startUs: t + 3100,
      durationUs: reserveUs + 400,
      tags: {
        'http.request.method': 'POST',
        'server.address': '127.0.0.1',
        'server.port': 4100,
        'url.full': 'http://127.0.0.1:4100/reservations',
        'http.response.status_code': 200,
      },
    },
    {
      id: 'i1',
      parent: 'p3',
      service: inventory,
      name: 'POST /reservations',
      kind: 'server',
      startUs: t + 3200,
      durationUs: reserveUs + 200,
      tags: { 'http.request.method': 'POST', 'http.route': '/reservations' },
    },
    {
      id: 'r1',
      parent: 'i1',
      service: inventory,
      name: 'reserve_stock',
      startUs: t + 3300,
      durationUs: reserveUs,
      tags: { 'order.id': orderId },
    },
    ...statements,
    {
      id: 'p4',
      parent: 'p2',
      service: 'processing-service',
      name: 'send processed-orders',
      kind: 'producer',
      startUs: t + 3000 + reserveUs + 600,
      durationUs: 300,
    },
    {
      id: 'n1',
      parent: 'p4',
      service: 'notification-service',
      name: 'process processed-orders',
      kind: 'consumer',
      startUs: t + 3000 + reserveUs + 1500,
      durationUs: 800,
      tags: { 'messaging.destination.name': 'processed-orders', 'messaging.system': 'redis' },
    },
    {
      id: 'n2',
      parent: 'n1',
      service: 'notification-service',
      name: 'notify_order',
      startUs: t + 3000 + reserveUs + 1500,
      durationUs: 700,
      tags: { 'order.id': orderId },
    },
  );
  return build(traceID, spans);
}

function tag(key: string, value: Value): JaegerTag {
  if (typeof value === 'boolean') return { key, type: 'bool', value };
  if (typeof value === 'number') {
    return { key, type: Number.isInteger(value) ? 'int64' : 'float64', value };
  }
  return { key, type: 'string', value };
}

function build(traceID: string, specs: readonly SpanSpec[]): JaegerTrace {
  const services = [...new Set(specs.map((s) => s.service))];
  // Hex span ids, as OTLP has them: the trace's last 8 digits, then the span's number.
  const hex = new Map(
    specs.map((s, i) => [s.id, `${traceID.slice(-8)}${(i + 1).toString(16).padStart(8, '0')}`]),
  );
  const spans: JaegerSpan[] = specs.map((s) => ({
    traceID,
    spanID: hex.get(s.id)!,
    flags: 1,
    operationName: s.name,
    references: s.parent ? [{ refType: 'CHILD_OF', traceID, spanID: hex.get(s.parent)! }] : [],
    startTime: s.startUs,
    duration: s.durationUs,
    tags: [
      ...Object.entries(s.tags ?? {}).map(([k, v]) => tag(k, v)),
      ...(s.kind ? [tag('span.kind', s.kind)] : []),
    ],
    logs: [],
    processID: `p${services.indexOf(s.service) + 1}`,
    warnings: null,
  }));
  spans.sort((a, b) => a.startTime - b.startTime);
  const processes = Object.fromEntries(
    services.map((name, i) => [`p${i + 1}`, { serviceName: name, tags: [] }]),
  );
  return { traceID, spans, processes, warnings: null };
}

/** `count` orders `gapUs` apart, numbered from `first`, each of the shape `shape(k)`. */
export function orders(
  first: number,
  count: number,
  gapUs: number,
  shape: (k: number) => Omit<OrderShape, 'atUs'> = () => ({}),
  startUs = 0,
): JaegerTrace[] {
  return Array.from({ length: count }, (_, k) =>
    orderTrace(first + k, { atUs: startUs + k * gapUs, ...shape(k) }),
  );
}

/** How long after the transaction before it commits a queued UPDATE's reply is read. */
const RELEASED_AFTER_US = 300;

/**
 * `count` orders `gapUs` apart, as `orders` makes them, that each update the hot row first and
 * queue on it: each UPDATE ends as the row lock lets it go, 300 µs after the transaction before
 * it commits (or after 300 µs, when nothing holds the row).
 */
export function hotRowQueue(
  first: number,
  count: number,
  gapUs: number,
  shape: (k: number) => Omit<OrderShape, 'atUs' | 'hotRowUs'> = () => ({}),
  startUs = 0,
): JaegerTrace[] {
  const traces: JaegerTrace[] = [];
  let committed = -Infinity;
  for (let k = 0; k < count; k++) {
    const s = { atUs: startUs + k * gapUs, ...shape(k) };
    const slower = s.stalled ?? 1;
    const probe = orderTrace(first + k, { ...s, hotRowUs: STATEMENT_US });
    const updateStart = statementSpan(probe, s.schema ?? STOCK_SCHEMA, 'hotRow').startTime;
    const ends = Math.max(updateStart + STATEMENT_US * slower, committed + RELEASED_AFTER_US);
    const trace = orderTrace(first + k, { ...s, hotRowUs: (ends - updateStart) / slower });
    const commit = trace.spans.find((sp) => tagOf(sp, 'db.query.text') === 'COMMIT')!;
    committed = commit.startTime + commit.duration;
    traces.push(trace);
  }
  return traces;
}

/** The first span of one of the schema's statements in a trace. */
export function statementSpan(trace: JaegerTrace, schema: Schema, which: keyof Schema) {
  return trace.spans.find((sp) => tagOf(sp, 'db.query.text') === schema[which])!;
}

function tagOf(span: JaegerTrace['spans'][number], key: string): unknown {
  return span.tags.find((t) => t.key === key)?.value;
}

const OTLP_KIND: Record<string, number> = { server: 2, client: 3, producer: 4, consumer: 5 };

/** Traces as one OTLP/JSON export request, moved by `shiftUs`. */
export function otlpOf(traces: readonly JaegerTrace[], shiftUs: number): string {
  const byService = new Map<string, unknown[]>();
  for (const trace of traces) {
    for (const s of trace.spans) {
      const service = trace.processes[s.processID]!.serviceName;
      if (!byService.has(service)) byService.set(service, []);
      const kind = s.tags.find((t) => t.key === 'span.kind')?.value;
      const startUs = s.startTime + shiftUs;
      byService.get(service)!.push({
        traceId: trace.traceID,
        spanId: s.spanID,
        parentSpanId: s.references[0]?.spanID ?? '',
        name: s.operationName,
        kind: OTLP_KIND[String(kind)] ?? 1,
        startTimeUnixNano: `${startUs}000`,
        endTimeUnixNano: `${startUs + s.duration}000`,
        attributes: s.tags
          .filter((t) => t.key !== 'span.kind')
          .map((t) => ({
            key: t.key,
            value:
              t.type === 'int64'
                ? { intValue: t.value }
                : t.type === 'float64'
                  ? { doubleValue: t.value }
                  : t.type === 'bool'
                    ? { boolValue: t.value }
                    : { stringValue: t.value },
          })),
      });
    }
  }
  return JSON.stringify({
    resourceSpans: [...byService].map(([service, spans]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{ scope: { name: 'fixture' }, spans }],
    })),
  });
}

/**
 * Orders through a stock service with all four database problems at once: each reads 8 rows one
 * statement each, waits 15 ms for a pooled connection, runs a 40 ms lookup, and six of them
 * update one hot row 40 ms apart, each waiting for the one before, which holds it 43 ms; four
 * more update it alone.
 */
export function allFourProblems(): JaegerTrace[] {
  return [
    ...hotRowQueue(1, 6, 40_000, () => ({ nPlusOne: 8, poolWaitUs: 15_000, lookupUs: 40_000 })),
    ...orders(20, 4, 200_000, () => ({ hotRowUs: 300, lookupUs: 40_000 }), 1_000_000),
  ];
}
