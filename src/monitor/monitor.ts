import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Span } from '@opentelemetry/api';
import { aggregate, resourceAttributes } from './aggregate.js';
import type { ResourceFigures, ResourcePoint } from './aggregate.js';
import { readPoint } from './point.js';
import { createSampleRing, openSampleRing } from './ring.js';

export interface ResourceMonitorOptions {
  /** How often the sampler reads CPU and memory (default 100 ms). */
  readonly intervalMs?: number;
  /** % of one core (default 80). */
  readonly cpuThresholdPercent?: number;
  /** RSS in MB (default 200). */
  readonly memoryThresholdMb?: number;
  /** Samples kept; older ones are dropped (default 8192: 13 min at 100 ms). */
  readonly capacity?: number;
}

/** Where a span began: the reading then, and the sampler's position. */
export interface ResourceMark {
  readonly point: ResourcePoint;
  readonly sampleIndex: number;
}

export interface ResourceMonitor {
  readonly intervalMs: number;
  begin(): ResourceMark;
  /** The figures from `mark` to now. */
  measure(mark: ResourceMark): ResourceFigures;
  /** The figures from `mark` to now, set on `span` as `resource.*` attributes. */
  finish(mark: ResourceMark, span: Span): ResourceFigures;
  /** Stops the sampler thread. */
  close(): Promise<void>;
}

const SAMPLER_FILE = path.join(__dirname, 'sampler-worker.js');

/**
 * Starts the sampler thread now, so readings exist before the first span. The thread is
 * unref'd: it never keeps the process alive. If it dies, spans still get exact figures.
 */
export function createResourceMonitor(options: ResourceMonitorOptions = {}): ResourceMonitor {
  const intervalMs = options.intervalMs ?? 100;
  const thresholds = {
    cpuThresholdPercent: options.cpuThresholdPercent ?? 80,
    memoryThresholdMb: options.memoryThresholdMb ?? 200,
  };
  const buffer = createSampleRing(options.capacity ?? 8192);
  const ring = openSampleRing(buffer);
  const worker = new Worker(SAMPLER_FILE, { workerData: { buffer, intervalMs } });
  worker.unref();
  // A failed sampler only costs the per-interval figures; never crash the service for it.
  worker.on('error', () => undefined);
  let closed = false;

  const measure = (mark: ResourceMark): ResourceFigures =>
    aggregate({
      start: mark.point,
      end: readPoint(),
      samples: ring.readFrom(mark.sampleIndex),
      intervalMs,
      ...thresholds,
    });

  return {
    intervalMs,
    begin: () => ({ point: readPoint(), sampleIndex: ring.count() }),
    measure,
    finish(mark, span) {
      const figures = measure(mark);
      span.setAttributes(resourceAttributes(figures));
      return figures;
    },
    async close() {
      if (closed) return;
      closed = true;
      await worker.terminate();
    },
  };
}
