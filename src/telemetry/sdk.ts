import { trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface TelemetryOptions {
  /** `service.name`, e.g. `processing-service`. */
  readonly serviceName: string;
  /** Distinguishes replicas of one service, e.g. `processing-service-2`. */
  readonly instanceId: string;
  /** OTLP/HTTP base endpoint; `/v1/traces` is appended. Standard OTEL_EXPORTER_OTLP_* env wins. */
  readonly otlpEndpoint: string;
}

export interface Telemetry {
  readonly tracer: Tracer;
  /** Flushes every span still buffered, then stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK. Must run before the instrumented modules (http,
 * ioredis) are first required, so callers load their service code after this resolves.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const env = process.env;
  const url =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    `${(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? options.otlpEndpoint).replace(/\/+$/, '')}/v1/traces`;
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      'service.instance.id': options.instanceId,
    }),
    // Batched export keeps the hot path free of network round trips.
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url }), {
        // A learner waits for the trace to appear: export each second, not the SDK's 5 s.
        scheduledDelayMillis: Number(env.OTEL_BSP_SCHEDULE_DELAY ?? 1000),
      }),
    ],
    instrumentations: [
      new HttpInstrumentation({
        // The exporter's own requests would otherwise trace themselves.
        ignoreOutgoingRequestHook: () => true,
        ignoreIncomingRequestHook: (req) => req.url === '/health',
      }),
      // Blocking stream reads poll forever: only Redis calls made inside a trace are spans.
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  return {
    tracer: trace.getTracer('tracelab'),
    shutdown: () => sdk.shutdown(),
  };
}
