import type { AttributeType } from '../../model/index.js';

/**
 * The collector's own span model: what an OTLP span becomes once decoded, independent of the
 * wire encoding and of Jaeger's JSON. Times are whole microseconds since the Unix epoch, the
 * unit Jaeger's API speaks.
 */
export type Microseconds = number & { readonly __unit: 'µs' };

export const micros = (n: number): Microseconds => n as Microseconds;

export type { AttributeType };

export type Attribute =
  | { readonly key: string; readonly type: 'string'; readonly value: string }
  | { readonly key: string; readonly type: 'bool'; readonly value: boolean }
  /**
   * `exact`: the decimal digits of a value beyond 2^53 (its `value` is then the nearest
   * double), which the collector writes wherever it writes the attribute out.
   */
  | {
      readonly key: string;
      readonly type: 'int64';
      readonly value: number;
      readonly exact?: string;
    }
  | { readonly key: string; readonly type: 'float64'; readonly value: number }
  /** Binary values are held base64-encoded, as Jaeger's JSON shows them. */
  | { readonly key: string; readonly type: 'binary'; readonly value: string };

export type SpanKindName =
  'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';

export type StatusCodeName = 'unset' | 'ok' | 'error';

export interface SpanEvent {
  readonly timeUs: Microseconds;
  readonly name: string;
  readonly attributes: readonly Attribute[];
}

export interface SpanLink {
  readonly traceId: string;
  readonly spanId: string;
  readonly attributes: readonly Attribute[];
}

/** One OTLP resource (a process); shared by all spans of one ResourceSpans entry. */
export interface ProcessResource {
  readonly serviceName: string;
  /** Resource attributes other than service.name. */
  readonly attributes: readonly Attribute[];
}

export interface InstrumentationScope {
  readonly name: string;
  readonly version: string;
}

export interface SpanRecord {
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  /** 16 lowercase hex digits. */
  readonly spanId: string;
  /** 16 lowercase hex digits, or '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: SpanKindName;
  readonly startUs: Microseconds;
  readonly durationUs: Microseconds;
  readonly attributes: readonly Attribute[];
  readonly events: readonly SpanEvent[];
  readonly links: readonly SpanLink[];
  readonly statusCode: StatusCodeName;
  readonly statusMessage: string;
  readonly traceState: string;
  /** W3C trace flags (bit 0: sampled). */
  readonly flags: number;
  readonly scope: InstrumentationScope;
  readonly resource: ProcessResource;
}

/** Name given to spans whose resource has no service.name, as Jaeger's OTLP translator does. */
export const NO_SERVICE_NAME = 'OTLP_ResourceNoServiceName';
