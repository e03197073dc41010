/**
 * How the trace analysis reads a trace, whatever holds it: Jaeger's JSON (a query API, a file,
 * the web UI) or the collector's own stored spans. Reading the stored spans straight through
 * this, instead of converting each trace to Jaeger's JSON first, is what lets the collector
 * analyse 100,000 traces without building millions of objects it would throw away.
 */

/** A span tag or attribute: Jaeger's tags and the collector's attributes both have this shape. */
export interface TagLike {
  readonly key: string;
  readonly value: string | number | boolean;
}

/**
 * One span as handed to the analysis: a reader fills these fields, then calls `add` on the
 * sink. The object is reused from span to span, so nothing is allocated per span.
 */
export interface SpanFields {
  /** The reader's own span, handed back to `TraceReader.instance`. */
  ref: unknown;
  traceID: string;
  spanID: string;
  /** The parent (CHILD_OF, else the first FOLLOWS_FROM in the same trace); undefined for none. */
  parentID: string | undefined;
  operationName: string;
  serviceName: string;
  /** Microseconds since the epoch. */
  startUs: number;
  durationUs: number;
  /** Read in order: of a key given twice, the last counts, as in Jaeger's tag list. */
  tags: readonly TagLike[];
  /** The span kind when it is not among the tags (read after them, as Jaeger's `span.kind`). */
  kind: string | undefined;
  /**
   * The first span of another trace this one links to (FOLLOWS_FROM): a consumer's root in
   * link mode names the producer's span here. Both undefined for none.
   */
  linkTraceID: string | undefined;
  linkSpanID: string | undefined;
}

/** Fields for a sink to hand a reader: filled anew for every span. */
export function emptySpanFields(): SpanFields {
  return {
    ref: undefined,
    traceID: '',
    spanID: '',
    parentID: undefined,
    operationName: '',
    serviceName: '',
    startUs: 0,
    durationUs: 0,
    tags: [],
    kind: undefined,
    linkTraceID: undefined,
    linkSpanID: undefined,
  };
}

export interface SpanSink {
  readonly fields: SpanFields;
  /** Takes the span now in `fields`. */
  add(): void;
}

export interface TraceReader<T> {
  traceID(trace: T): string;
  /** Hands each span of the trace to `sink`, in the order Jaeger's JSON lists them. */
  read(trace: T, sink: SpanSink): void;
  /**
   * Which replica ran the span (`ref` from its fields): service.instance.id, else host and
   * pid, else the service and its process' id in Jaeger's JSON.
   */
  instance(trace: T, ref: unknown): string;
}
