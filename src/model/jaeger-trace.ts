/**
 * Jaeger's HTTP JSON API shapes, as its UI reads them (and as its "Upload JSON" accepts): what
 * the collector serves, the analysis reads and the web UI draws.
 */

/** The value types a Jaeger tag can carry; OTLP arrays and maps become JSON strings. */
export type AttributeType = 'string' | 'bool' | 'int64' | 'float64' | 'binary';

export interface JaegerTag {
  readonly key: string;
  readonly type: AttributeType;
  readonly value: string | number | boolean;
}

export interface JaegerLog {
  /** Microseconds since the epoch. */
  readonly timestamp: number;
  readonly fields: readonly JaegerTag[];
}

export interface JaegerReference {
  readonly refType: 'CHILD_OF' | 'FOLLOWS_FROM';
  readonly traceID: string;
  readonly spanID: string;
}

export interface JaegerSpan {
  readonly traceID: string;
  readonly spanID: string;
  readonly flags: number;
  readonly operationName: string;
  readonly references: readonly JaegerReference[];
  /** Microseconds since the epoch. */
  readonly startTime: number;
  /** Microseconds. */
  readonly duration: number;
  readonly tags: readonly JaegerTag[];
  readonly logs: readonly JaegerLog[];
  readonly processID: string;
  readonly warnings: readonly string[] | null;
}

export interface JaegerProcess {
  readonly serviceName: string;
  readonly tags: readonly JaegerTag[];
}

export interface JaegerTrace {
  readonly traceID: string;
  readonly spans: readonly JaegerSpan[];
  readonly processes: Readonly<Record<string, JaegerProcess>>;
  readonly warnings: readonly string[] | null;
}

/** One trace of a chain of linked traces (`GET /api/tracelab/chain/:traceID`). */
export interface ChainMember {
  readonly traceID: string;
  /** The trace's root span: its service and operation. */
  readonly serviceName: string;
  readonly operationName: string;
  /** µs since the epoch, and µs. */
  readonly startTime: number;
  readonly duration: number;
  readonly spans: number;
}

/**
 * Linked traces stitched into one: every span of each, a linked root given a CHILD_OF
 * reference to the span it links to; `chain` lists the traces, by start.
 */
export interface JaegerChainTrace extends JaegerTrace {
  readonly chain: readonly ChainMember[];
}

export interface JaegerOperation {
  readonly name: string;
  readonly spanKind: string;
}

export interface JaegerDependencyLink {
  readonly parent: string;
  readonly child: string;
  readonly callCount: number;
}

export interface JaegerError {
  readonly code: number;
  readonly msg: string;
  /** The collector's error code, e.g. QUERY_BAD_PARAM. */
  readonly error?: string;
}

/** The envelope every /api response is wrapped in. */
export interface JaegerResponse<T> {
  readonly data: T;
  readonly total: number;
  readonly limit: number;
  readonly offset: number;
  readonly errors: readonly JaegerError[] | null;
}
