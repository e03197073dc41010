import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Span } from '@opentelemetry/api';
import { aggregate, resourceAttributes } from './aggregate.js';
import type { ResourceFigures, ResourcePoint, ThreadCpu } from './aggregate.js';
import { readPoint } from './point.js';
import { createSampleRing, openSampleRing } from './ring.js';
import type { SampleRing } from './ring.js';
import { threadCpuNs } from './thread-cpu.js';

export interface ResourceMonitorOptions {
  /** How often the sampler reads CPU and memory (default 100 ms). */
  readonly intervalMs?: number;
  /** % of one core (default 80). */
  readonly cpuThresholdPercent?: number;
  /** RSS in MB (default 200). */
  readonly memoryThresholdMb?: number;
  /** Samples kept; older ones are dropped (default 8192: 13 min at 100 ms). */
  readonly capacity?: number;
  /**
   * Where the sampler runs: a worker thread (default), which keeps sampling while synchronous
   * work blocks the event loop, or a timer on the main thread, which costs no thread (about
   * 8 MB) and is as regular when nothing blocks the loop for long.
   */
  readonly sampler?: 'thread' | 'main';
  /** Cores the process may use; no CPU figure exceeds cores × 100 (default: availableParallelism). */
  readonly cores?: number;
}

/** Where other threads' CPU time for a span is added: each CPU pool task reports its own. */
export interface ThreadCpuLedger {
  /** `cpuNs` undefined: the thread could not read its time, so the span's CPU is unknown. */
  addThreadCpu(thread: number, cpuNs: number | undefined): void;
}

/** Where a span began: the readings then, and the sampler's position. */
export interface ResourceMark extends ThreadCpuLedger {
  readonly point: ResourcePoint;
  readonly sampleIndex: number;
  /** CPU time of the thread that began the span, ns (undefined where unreadable). */
  readonly threadNs: number | undefined;
  /** Other threads' CPU time for the span, added so far. */
  readonly others: readonly ThreadCpu[];
  /** False once a thread could not read its time. */
  readonly complete: boolean;
}

class Mark implements ResourceMark {
  readonly others: ThreadCpu[] = [];
  complete = true;
  constructor(
    readonly point: ResourcePoint,
    readonly sampleIndex: number,
    readonly threadNs: number | undefined,
  ) {}

  addThreadCpu(thread: number, cpuNs: number | undefined): void {
    if (cpuNs === undefined) this.complete = false;
    else this.others.push({ thread, cpuNs });
  }
}

export interface ResourceMonitor {
  readonly intervalMs: number;
  /**
   * Resolves once the sampler has taken its first reading: spans begun after it get
   * per-interval samples on the sampler's own clock. Rejects if the sampler failed first.
   */
  readonly ready: Promise<void>;
  /** Call on the span's own thread; `finish` / `measure` on the same thread. */
  begin(): ResourceMark;
  /** The figures from `mark` to now. */
  measure(mark: ResourceMark): ResourceFigures;
  /** The figures from `mark` to now, set on `span` as `resource.*` attributes. */
  finish(mark: ResourceMark, span: Span): ResourceFigures;
  /**
   * The sampler's readings with index ≥ `fromIndex` still held (the ring keeps `capacity`),
   * oldest first, with the index of the first: what the metrics exporter sends on.
   */
  samplesSince(fromIndex: number): { first: number; points: ResourcePoint[] };
  /** Stops the sampler; readings taken stay readable. */
  close(): Promise<void>;
}

const SAMPLER_FILE = path.join(__dirname, 'sampler-worker.js');

/**
 * Starts the sampler now, so readings exist before the first span. The thread (or timer) is
 * unref'd: it never keeps the process alive. If it dies, spans still get their threads' CPU
 * and their memory at start and end.
 */
export function createResourceMonitor(options: ResourceMonitorOptions = {}): ResourceMonitor {
  const intervalMs = options.intervalMs ?? 100;
  const thresholds = {
    cpuThresholdPercent: options.cpuThresholdPercent ?? 80,
    memoryThresholdMb: options.memoryThresholdMb ?? 200,
  };
  const cores = options.cores ?? availableParallelism();
  const buffer = createSampleRing(options.capacity ?? 8192);
  const ring = openSampleRing(buffer);
  const sampler =
    options.sampler === 'main' ? samplerTimer(ring, intervalMs) : samplerThread(buffer, intervalMs);
  const { ready } = sampler;
  let closed = false;

  const begin = (): ResourceMark => {
    // Each reading of this thread's CPU time is followed at once by the wall time: the two
    // describe the same instants (the RSS reading after them may take tens of µs).
    const threadNs = threadCpuNs();
    return new Mark(readPoint(), ring.count(), threadNs);
  };

  const measure = (mark: ResourceMark): ResourceFigures => {
    const endNs = threadCpuNs();
    const end = readPoint();
    return aggregate({
      start: mark.point,
      end,
      samples: ring.readFrom(mark.sampleIndex),
      threads: { startNs: mark.threadNs, endNs, others: mark.others, complete: mark.complete },
      cores,
      ...thresholds,
    });
  };

  return {
    intervalMs,
    ready,
    begin,
    measure,
    samplesSince: (fromIndex) => ring.readSince(fromIndex),
    finish(mark, span) {
      const figures = measure(mark);
      span.setAttributes(resourceAttributes(figures));
      return figures;
    },
    async close() {
      if (closed) return;
      closed = true;
      await sampler.stop();
    },
  };
}

interface Sampler {
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

function samplerThread(buffer: SharedArrayBuffer, intervalMs: number): Sampler {
  const worker = new Worker(SAMPLER_FILE, { workerData: { buffer, intervalMs } });
  worker.unref();
  const ready = new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`sampler exited with code ${code}`)));
  });
  // A failed sampler only costs the per-interval figures; never crash the service for it.
  worker.on('error', () => undefined);
  ready.catch(() => undefined);
  return {
    ready,
    stop: async () => {
      await worker.terminate();
    },
  };
}

function samplerTimer(ring: SampleRing, intervalMs: number): Sampler {
  ring.write(readPoint());
  const timer = setInterval(() => ring.write(readPoint()), intervalMs);
  timer.unref();
  return {
    ready: Promise.resolve(),
    stop: () => {
      clearInterval(timer);
      return Promise.resolve();
    },
  };
}
