import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import {
  convertLegacyHttpOptions,
  createOtlpHttpExportDelegate,
} from '@opentelemetry/otlp-exporter-base/node-http';
import {
  ProtobufTraceSerializer,
  TraceExporterMetricsHelper,
} from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { serializeSpans } from './otlp-span-serializer.js';

/**
 * The OTLP/HTTP protobuf span exporter of `@opentelemetry/exporter-trace-otlp-proto` (its
 * transport, retries, timeouts and concurrency limit) with tracelab's one-pass serializer
 * (./otlp-span-serializer.ts) in place of the SDK's.
 */
export function createSpanExporter(url: string, attemptTimeoutMs: number): SpanExporter {
  const serializer = {
    serializeRequest: (spans: ReadableSpan[]) => serializeSpans(spans),
    deserializeResponse: (data: Uint8Array) => ProtobufTraceSerializer.deserializeResponse(data),
  };
  return new OTLPExporterBase<ReadableSpan[]>(
    createOtlpHttpExportDelegate(
      // One try's time (the transport's own retries of a 429/5xx within it); deliverSpans
      // (./counting-exporter.ts) retries a failed batch over its budget after that.
      convertLegacyHttpOptions({ url, timeoutMillis: attemptTimeoutMs }, 'TRACES', 'v1/traces', {
        'Content-Type': 'application/x-protobuf',
      }),
      serializer,
      'otlp_http_span_exporter',
      TraceExporterMetricsHelper,
      // No metrics about the exporter itself.
      undefined,
    ),
  );
}
