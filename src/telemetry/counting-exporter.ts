import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface DropReport {
  /** Spans given up on since the last report. */
  readonly dropped: number;
  /** Spans given up on since the process started. */
  readonly total: number;
  /** Why the last batch given up on failed, in a few words. */
  readonly reason: string;
}

/** Spans given up on since the process started, by why. */
export interface DroppedSpans {
  readonly total: number;
  readonly byReason: ReadonlyMap<string, number>;
}

export interface DeliveryOptions {
  /** Told at most once per interval, and only when spans were given up on. */
  readonly report: (r: DropReport) => void;
  /** Told once when an export succeeds again after losses. */
  readonly recovered?: () => void;
  /** The shortest time between two reports. */
  readonly intervalMs?: number;
  /** How long a batch is retried (from its first try) before its spans are given up on. */
  readonly retryBudgetMs: number;
  /** Spans waiting for a retry at most; a batch past it is given up on at once. */
  readonly maxPendingSpans: number;
  /** First wait between two tries of a batch; it doubles up to maxBackoffMs. */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly now?: () => number;
}

export type DeliveringExporter = SpanExporter & {
  readonly dropped: () => DroppedSpans;
  /** Resolves once every batch handed over is delivered or given up on. */
  forceFlush(): Promise<void>;
};

/**
 * Delivers each batch of spans, retrying it with backoff while the collector is down, slow
 * or paused, and counts only the spans it gives up on: a batch still failing when its retry
 * budget is spent, one the collector refuses (4xx), or one that finds the retry backlog full.
 * A try that timed out may still have reached a paused collector, which reads it when it
 * resumes: it stores the retry's copy of a span once (spans are kept by trace and span id),
 * so retrying is harmless and nothing is counted lost that arrived.
 *
 * The batch processor is answered at once, so its queue keeps draining while batches are
 * retried here; the losses are reported once in a while, never per span.
 */
export function deliverSpans(inner: SpanExporter, options: DeliveryOptions): DeliveringExporter {
  const intervalMs = options.intervalMs ?? 15_000;
  const initialBackoffMs = options.initialBackoffMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 5000;
  const now = options.now ?? Date.now;
  let total = 0;
  const byReason = new Map<string, number>();
  let unreported = 0;
  let lastReport = -Infinity;
  let reason = '';
  let failing = false;
  let pendingSpans = 0;
  let closing = false;
  const inFlight = new Set<Promise<void>>();
  /** Waits between tries, ended early by shutdown (a last try, then give up). */
  const waits = new Set<() => void>();

  const flushReport = (force: boolean) => {
    if (unreported === 0) return;
    const t = now();
    if (!force && t - lastReport < intervalMs) return;
    lastReport = t;
    options.report({ dropped: unreported, total, reason });
    unreported = 0;
  };
  const giveUp = (count: number, why: string) => {
    failing = true;
    total += count;
    byReason.set(why, (byReason.get(why) ?? 0) + count);
    unreported += count;
    reason = why;
    flushReport(false);
  };
  const delivered = () => {
    if (!failing) return;
    failing = false;
    flushReport(true);
    options.recovered?.();
  };
  const tryOnce = (spans: ReadableSpan[]) =>
    new Promise<ExportResult>((resolve) => inner.export(spans, resolve));
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const end = () => {
        clearTimeout(timer);
        waits.delete(end);
        resolve();
      };
      const timer = setTimeout(end, ms);
      waits.add(end);
    });

  const deliver = async (spans: ReadableSpan[]) => {
    const deadline = now() + options.retryBudgetMs;
    let backoff = initialBackoffMs;
    for (;;) {
      const result = await tryOnce(spans);
      if (result.code === ExportResultCode.SUCCESS) return delivered();
      const why = describeFailure(result.error);
      // Jitter spreads the retries of batches that failed together.
      const wait = Math.min(backoff, maxBackoffMs) * (0.8 + 0.4 * Math.random());
      if (closing || !isRetryable(result.error) || now() + wait > deadline) {
        return giveUp(spans.length, why);
      }
      await pause(wait);
      backoff *= 2;
    }
  };

  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      if (pendingSpans + spans.length > options.maxPendingSpans) {
        giveUp(spans.length, `export backlog full (${reason || 'collector not answering'})`);
        done({ code: ExportResultCode.FAILED, error: new Error('span export backlog full') });
        return;
      }
      pendingSpans += spans.length;
      const p = deliver(spans).finally(() => {
        pendingSpans -= spans.length;
        inFlight.delete(p);
      });
      inFlight.add(p);
      done({ code: ExportResultCode.SUCCESS });
    },
    async forceFlush() {
      await Promise.all([...inFlight]);
      await inner.forceFlush?.();
    },
    async shutdown() {
      // One last try for what waits to be retried; what fails then is given up on.
      closing = true;
      for (const end of [...waits]) end();
      await Promise.all([...inFlight]);
      await inner.shutdown();
      flushReport(true);
    },
    dropped: () => ({ total, byReason }),
  };
}

/** A refusal by the collector (4xx but 429) fails again however often it is sent. */
function isRetryable(error: Error | undefined): boolean {
  const status = (error as { code?: unknown } | undefined)?.code;
  return !(typeof status === 'number' && status >= 400 && status < 500 && status !== 429);
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
