import { performance } from 'node:perf_hooks';

export interface IdleCollectionOptions {
  /** A full collection; default: `globalThis.gc`, there when node runs with --expose-gc. */
  readonly gc?: () => void;
  /** How often the process looks at itself (default 5 s). */
  readonly everyMs?: number;
  /** Event-loop utilisation (0–1) under which a period counts as quiet (default 0.02). */
  readonly quietBelow?: number;
}

/**
 * Gives memory back once a burst of work is over. Under load V8 grows its young generation
 * (up to three semi-spaces of 16 MB) and its old one, and keeps them until a full collection,
 * which a process that has gone quiet never triggers: a service idle after a burst holds
 * 10–40 MB it no longer uses. Every few seconds this looks at how busy the event loop was;
 * the first quiet period after work (start-up included) runs one full collection, tens of
 * milliseconds on these heaps while nothing is waiting. It never runs under load, so
 * throughput is untouched. Without a `gc` (node not started with --expose-gc) it does
 * nothing. Returns a function that stops it.
 */
export function collectWhenIdle(options: IdleCollectionOptions = {}): () => void {
  const gc = options.gc ?? (globalThis as { gc?: () => void }).gc;
  if (!gc) return () => undefined;
  const quietBelow = options.quietBelow ?? 0.02;
  let workedSinceGc = true;
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, last).utilization >= quietBelow;
    last = now;
    if (busy) {
      workedSinceGc = true;
    } else if (workedSinceGc) {
      workedSinceGc = false;
      gc();
      // The collection's own time is not the next period's work.
      last = performance.eventLoopUtilization();
    }
  }, options.everyMs ?? 5000);
  timer.unref();
  return () => clearInterval(timer);
}
