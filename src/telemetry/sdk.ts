import { DiagConsoleLogger, diag, trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import { diagLogLevelFromString } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import {
  detectResources,
  envDetector,
  hostDetector,
  processDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { callAttributes } from './call-attributes.js';
import { deliverSpans } from './counting-exporter.js';
import { PreciseSpanTimes } from './precise-span-times.js';
import { createSpanExporter } from './span-exporter.js';
import { pgRequestHook, pgResponseHook } from './pg-hooks.js';
import { startResourceMetrics } from './resource-metrics.js';
import type { ReadingSource } from './resource-metrics.js';
import { ATTR_PROCESS_PID, ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME } from './semconv.js';

export interface TelemetryOptions {
  /** `service.name`, e.g. `processing-service`. */
  readonly serviceName: string;
  /** Distinguishes replicas of one service, e.g. `processing-service-2`. */
  readonly instanceId: string;
  /** OTLP/HTTP base endpoint; `/v1/traces` is appended. Standard OTEL_EXPORTER_OTLP_* env wins. */
  readonly otlpEndpoint: string;
  /** Where spans lost to a collector that is down are reported, once in a while. */
  readonly warn?: (line: string) => void;
  /**
   * The resource monitor: its readings are exported as metrics to `/v1/metrics` (every
   * OTEL_METRIC_EXPORT_INTERVAL ms, default 1000; OTEL_METRICS_EXPORTER=none turns it off).
   */
  readonly resourceReadings?: ReadingSource;
  /** How spans are sent: see deliverSpans (./counting-exporter.ts). */
  readonly export: SpanExportSettings;
}

export interface SpanExportSettings {
  /** One export try's time limit. */
  readonly attemptTimeoutMs: number;
  /** How long a batch is retried before its spans count as dropped. */
  readonly retryBudgetMs: number;
  /** The least time between two lines that report dropped spans. */
  readonly droppedReportMs: number;
}

export interface Telemetry {
  readonly tracer: Tracer;
  /** Sends every span still buffered. */
  flush(): Promise<void>;
  /** Flushes every span and reading still buffered, then stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing: the Node tracer provider (async context, W3C trace context and
 * baggage), one batch processor with the OTLP exporter, and the undici and pg instrumentations.
 * Must run before the instrumented modules are first required, so callers load their service
 * code after this resolves.
 *
 * Not the all-in-one `@opentelemetry/sdk-node`: it loads every exporter, propagator and
 * detector it might be configured for (and a YAML parser), and starts a metrics exporter and a
 * log exporter of its own to the default endpoint. This takes what a service uses: about 8 MB
 * less memory per process.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  // The SDK's own OTEL_* settings, read where the SDK is set up, under the names its documentation
  // gives; tracelab's settings come in through `options` (see cli/service-options.ts).
  const env = process.env;
  const logLevel = env.OTEL_LOG_LEVEL;
  if (logLevel) diag.setLogger(new DiagConsoleLogger(), diagLogLevelFromString(logLevel));
  // OTEL_EXPORTER_OTLP_ENDPOINT is `--otlp-endpoint`'s variable, already under the flag in
  // options.otlpEndpoint: read again here, it would win over the flag `up` hands its children.
  const url =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    `${options.otlpEndpoint.replace(/\/+$/, '')}/v1/traces`;
  const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  // Room for a few seconds of spans at saturation (the SDK's 2048 drops spans past about 300
  // orders/s while an export is in flight); as many again wait for a retry at most.
  const maxQueueSize = Number(env.OTEL_BSP_MAX_QUEUE_SIZE ?? 16384);
  const exporter = deliverSpans(createSpanExporter(url, options.export.attemptTimeoutMs), {
    report: ({ dropped, total, reason }) =>
      warn(
        `dropped ${dropped.toLocaleString('en-US')} spans: ${reason} (${total.toLocaleString('en-US')} since start)`,
      ),
    recovered: () => warn('spans are exported again: the collector is back'),
    intervalMs: options.export.droppedReportMs,
    retryBudgetMs: options.export.retryBudgetMs,
    maxPendingSpans: maxQueueSize,
  });
  const own = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: options.serviceName,
    [ATTR_SERVICE_INSTANCE_ID]: options.instanceId,
    [ATTR_PROCESS_PID]: process.pid,
  });
  // Spans: the process, host and OTEL_RESOURCE_ATTRIBUTES, the service's own names over them.
  const resource = detectResources({
    detectors: [envDetector, processDetector, hostDetector],
  }).merge(own);
  const processor = new BatchSpanProcessor(exporter, {
    // A learner waits for the trace to appear: export each second, not the SDK's 5 s.
    scheduledDelayMillis: Number(env.OTEL_BSP_SCHEDULE_DELAY ?? 1000),
    maxQueueSize,
  });
  const provider = new NodeTracerProvider({
    resource,
    // Span times from the anchored monotonic clock, not Date.now()'s whole milliseconds;
    // batched export keeps the hot path free of network round trips.
    spanProcessors: [new PreciseSpanTimes(), processor],
  });
  provider.register();
  // No ioredis instrumentation: its span per command (hset, expire, multi, exec, xadd) was a
  // third of an order's spans. The bus and the store make one span per call themselves. No
  // HTTP instrumentation either: the API's and inventory's servers make their server spans
  // (server-spans.ts), and the one call an order makes goes through undici.
  const unregister = registerInstrumentations({
    instrumentations: [
      // undici (processing → inventory): a CLIENT span per attempt, with what the caller's
      // policy says of it (withCallAttributes: resend count, breaker state). Only inside a
      // trace, and never the exporters' own requests.
      new UndiciInstrumentation({
        requireParentforSpans: true,
        ignoreRequestHook: (request) => request.path.startsWith('/v1/'),
        startSpanHook: () => callAttributes(),
      }),
      // PostgreSQL (`pg`, loaded by the database module after this): a CLIENT span per
      // statement with the stable database conventions, and `pg-pool.connect`, the wait for
      // a pooled connection. No parameter values on spans (enhancedDatabaseReporting off).
      // Only inside a trace: a health check's ping or the migrations at start would otherwise
      // each be a trace of their own among the orders'.
      new PgInstrumentation({
        requireParentSpan: true,
        requestHook: pgRequestHook,
        responseHook: pgResponseHook,
      }),
    ],
  });
  const metrics =
    options.resourceReadings && env.OTEL_METRICS_EXPORTER !== 'none'
      ? startResourceMetrics({
          source: options.resourceReadings,
          resource: own,
          url:
            env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT ??
            `${(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? options.otlpEndpoint).replace(/\/+$/, '')}/v1/metrics`,
          // A learner watches the series live: each second, not the SDK's 60 s.
          exportIntervalMs: Number(env.OTEL_METRIC_EXPORT_INTERVAL ?? 1000),
          droppedSpans: exporter.dropped,
        })
      : undefined;
  return {
    tracer: trace.getTracer('tracelab'),
    // Flushed means sent (or given up on): the exporter answers the processor at once.
    flush: async () => {
      await processor.forceFlush();
      await exporter.forceFlush();
    },
    async shutdown() {
      unregister();
      await Promise.all([provider.shutdown(), metrics?.shutdown()]);
    },
  };
}
