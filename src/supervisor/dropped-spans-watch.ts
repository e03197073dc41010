import { fetchJson } from '../errors/index.js';
import { DROPPED_SPANS_PATH, describeDroppedSpans } from '../model/index.js';
import type { DroppedSpansReport } from '../model/index.js';

export interface DroppedSpansWatch {
  stop(): void;
}

/**
 * Asks the collector every `everyMs` how many spans the services gave up exporting, and tells
 * `report` a one-line summary whenever the total grows ("processing-service 120 (collector
 * unreachable)"). While the collector is down nothing is asked successfully: the services
 * keep their counts and send them again once it is back, so the line comes then.
 */
export function watchDroppedSpans(
  queryUrl: string,
  report: (line: string) => void,
  everyMs = 2000,
): DroppedSpansWatch {
  let lastTotal = 0;
  let busy = false;
  const check = async () => {
    if (busy) return;
    busy = true;
    try {
      const res = await fetchJson(`${queryUrl}${DROPPED_SPANS_PATH}`, {
        timeoutMs: everyMs,
        unreachable: (err) => err,
      });
      if (!res.ok || !res.json) return;
      const { data } = res.body as { data: DroppedSpansReport };
      // Counts only grow; a collector just restarted knows fewer until every service has
      // told it again (within a second), which is no news.
      if (data.total <= lastTotal) return;
      lastTotal = data.total;
      report(describeDroppedSpans(data));
    } catch {
      // The collector down or slow: `up` says so already.
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void check(), everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
