import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface DropReport {
  /** Spans lost since the last report. */
  readonly dropped: number;
  /** Spans lost since the process started. */
  readonly total: number;
  /** Why the last failed export failed, in a few words. */
  readonly reason: string;
}

export interface CountingExporterOptions {
  /** Told at most once per interval, and only when spans were lost. */
  readonly report: (r: DropReport) => void;
  /** Told once when an export succeeds again after losses. */
  readonly recovered?: () => void;
  /** The shortest time between two reports. */
  readonly intervalMs?: number;
  readonly now?: () => number;
}

/**
 * Wraps a span exporter so that spans lost to failed exports (the collector down, slow or
 * gone) are counted and reported once in a while, never per span: the services carry on
 * without their trace backend, and the log says how much tracing was lost.
 */
export function countDroppedSpans(
  inner: SpanExporter,
  options: CountingExporterOptions,
): SpanExporter & { readonly droppedTotal: () => number } {
  const intervalMs = options.intervalMs ?? 15_000;
  const now = options.now ?? Date.now;
  let total = 0;
  let unreported = 0;
  let lastReport = -Infinity;
  let reason = '';
  let failing = false;

  const flushReport = (force: boolean) => {
    if (unreported === 0) return;
    const t = now();
    if (!force && t - lastReport < intervalMs) return;
    lastReport = t;
    options.report({ dropped: unreported, total, reason });
    unreported = 0;
  };

  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      inner.export(spans, (result) => {
        if (result.code === ExportResultCode.SUCCESS) {
          if (failing) {
            failing = false;
            flushReport(true);
            options.recovered?.();
          }
        } else {
          failing = true;
          total += spans.length;
          unreported += spans.length;
          reason = describeFailure(result.error);
          flushReport(false);
        }
        done(result);
      });
    },
    shutdown: async () => {
      await inner.shutdown();
      flushReport(true);
    },
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
    droppedTotal: () => total,
  };
}

/** "collector unreachable" for the network failures a learner causes by stopping it. */
export function describeFailure(error: Error | undefined): string {
  const text = `${(error as { code?: string } | undefined)?.code ?? ''} ${error?.message ?? ''}`;
  if (/ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|EPIPE|socket hang up/i.test(text)) {
    return 'collector unreachable';
  }
  if (/timeout|timed out|ETIMEDOUT/i.test(text)) return 'collector not answering (timeout)';
  return `export failed: ${error?.message ?? 'unknown error'}`;
}
