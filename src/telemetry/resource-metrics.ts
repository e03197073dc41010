import { availableParallelism } from 'node:os';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import type { Resource } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type {
  CollectionResult,
  MetricProducer,
  PushMetricExporter,
  ResourceMetrics,
  ScopeMetrics,
} from '@opentelemetry/sdk-metrics';
import type { DroppedSpans } from './counting-exporter.js';
import { readingsToMetrics } from './resource-samples-transform.js';
import { ATTR_TRACELAB_DROP_REASON, METRIC_TRACELAB_SPANS_DROPPED } from './semconv.js';
import type { ProcessReading } from './resource-samples-transform.js';

/** Where the readings come from: the resource monitor (by index, oldest first). */
export interface ReadingSource {
  samplesSince(fromIndex: number): { first: number; points: readonly ProcessReading[] };
}

export interface ResourceMetricsOptions {
  readonly source: ReadingSource;
  readonly resource: Resource;
  /** Full OTLP/HTTP metrics URL, e.g. http://127.0.0.1:4318/v1/metrics. */
  readonly url: string;
  /** How often the buffered readings are sent. */
  readonly exportIntervalMs: number;
  /** Spans the process gave up exporting, sent as the `tracelab.spans.dropped` sum. */
  readonly droppedSpans?: () => DroppedSpans;
}

export interface ResourceMetricsExport {
  /** Sends what is left, then stops. */
  shutdown(): Promise<void>;
}

const SCOPE = { name: 'tracelab-resource-monitor' };

/**
 * A MetricProducer (the SDK's hook for metrics that do not come from instruments) that hands
 * the reader every reading taken since the last export the backend acknowledged. A failed or
 * timed-out export is sent again with the next one; the backend keeps a point once.
 */
export class ReadingsProducer implements MetricProducer {
  /** Index of the first reading not yet acknowledged. */
  private acked = 0;
  /** What each collected batch covers, to acknowledge it once sent. */
  private readonly upTo = new WeakMap<ScopeMetrics, number>();

  constructor(
    private readonly source: ReadingSource,
    private readonly resource: Resource,
    private readonly cpuCount = availableParallelism(),
    private readonly processStartMs = performance.timeOrigin,
  ) {}

  collect(): Promise<CollectionResult> {
    // One reading before the first unsent one: CPU utilization is a difference.
    const from = Math.max(0, this.acked - 1);
    const { first, points } = this.source.samplesSince(from);
    const hasPrevious = first < this.acked && points.length > 0;
    const readings = hasPrevious ? points.slice(1) : points;
    const metrics = readingsToMetrics({
      ...(hasPrevious ? { previous: points[0]! } : {}),
      readings,
      cpuCount: this.cpuCount,
      processStartMs: this.processStartMs,
    });
    const scopeMetrics: ScopeMetrics[] = [];
    if (metrics.length > 0) {
      const scope: ScopeMetrics = { scope: SCOPE, metrics };
      this.upTo.set(scope, first + points.length);
      scopeMetrics.push(scope);
    }
    return Promise.resolve({
      resourceMetrics: { resource: this.resource, scopeMetrics },
      errors: [],
    });
  }

  /** Called with what the backend took. */
  acknowledge(metrics: ResourceMetrics): void {
    for (const scope of metrics.scopeMetrics) {
      const next = this.upTo.get(scope);
      if (next !== undefined && next > this.acked) this.acked = next;
    }
  }
}

/** Passes exports through, telling the producer which ones the backend took. */
function acknowledging(inner: PushMetricExporter, producer: ReadingsProducer): PushMetricExporter {
  return {
    export(metrics: ResourceMetrics, done: (result: ExportResult) => void) {
      inner.export(metrics, (result) => {
        if (result.code === ExportResultCode.SUCCESS) producer.acknowledge(metrics);
        done(result);
      });
    },
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
    ...(inner.selectAggregationTemporality
      ? { selectAggregationTemporality: inner.selectAggregationTemporality.bind(inner) }
      : {}),
  };
}

/**
 * Exports the resource monitor's readings over OTLP/HTTP with the official SDK and exporter:
 * a MeterProvider of its own (not the global one, so instrumentations' metrics stay off), a
 * periodic reader, and the readings producer.
 */
export function startResourceMetrics(options: ResourceMetricsOptions): ResourceMetricsExport {
  const producer = new ReadingsProducer(options.source, options.resource);
  const exporter = acknowledging(new OTLPMetricExporter({ url: options.url }), producer);
  const reader = new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: options.exportIntervalMs,
    // A slow backend is retried with the next export, never waited on past the interval.
    exportTimeoutMillis: options.exportIntervalMs,
    metricProducers: [producer],
  });
  const provider = new MeterProvider({ resource: options.resource, readers: [reader] });
  const { droppedSpans } = options;
  if (droppedSpans) {
    provider
      .getMeter(SCOPE.name)
      .createObservableCounter(METRIC_TRACELAB_SPANS_DROPPED, {
        description: 'spans given up on after the exporter retried them',
        unit: '{span}',
      })
      .addCallback((result) => {
        for (const [reason, count] of droppedSpans().byReason) {
          result.observe(count, { [ATTR_TRACELAB_DROP_REASON]: reason });
        }
      });
  }
  return { shutdown: () => provider.shutdown() };
}
