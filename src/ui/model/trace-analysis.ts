import { criticalPath, queueWaits } from '../../analysis/index.js';
import type { JaegerTrace } from '../../model/index.js';
import { arrangeOverlay } from './overlay.js';
import type { TraceOverlay } from './overlay.js';

/** The analysis module's queue waits and critical path of a trace, arranged for drawing. */
export function traceOverlay(trace: JaegerTrace): TraceOverlay {
  const waits = queueWaits(trace);
  const path = criticalPath(trace);
  const warnings = [...waits.warnings, ...path.warnings].map((w) => w.message);
  return arrangeOverlay(
    waits.map((w) => ({
      topic: w.topic,
      producerSpanID: w.producerSpanID,
      consumerSpanID: w.consumerSpanID,
      fromUs: w.publishedUs,
      toUs: w.consumedUs,
      waitUs: w.waitUs,
    })),
    path.map((s) => ({
      spanID: s.spanID,
      startUs: s.startUs,
      endUs: s.endUs,
      queue: s.kind === 'queue',
    })),
    [...new Set(warnings)],
  );
}
