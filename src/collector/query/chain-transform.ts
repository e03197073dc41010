import { toJaegerTrace } from './jaeger-transform.js';
import type { SpanRecord } from '../store/span-record.js';
import type {
  ChainMember,
  JaegerChainTrace,
  JaegerReference,
  JaegerSpan,
} from '../../model/index.js';

/**
 * Linked traces (the first by start given first) → one Jaeger trace: every span keeps its own
 * trace id and references, and a root that links to a span of the chain also gets a CHILD_OF
 * reference to it, so the chain reads as one tree (one waterfall, one critical path). Pure.
 */
export function toJaegerChain(
  traces: ReadonlyArray<readonly SpanRecord[]>,
): JaegerChainTrace | undefined {
  const all = traces.flat();
  const merged = toJaegerTrace(all);
  if (!merged) return undefined;
  const traceOf = new Map<string, string>();
  for (const s of all) traceOf.set(s.spanId, s.traceId);
  const spans = merged.spans.map((s): JaegerSpan => {
    if (s.references.some((r) => r.refType === 'CHILD_OF')) return s;
    const link = s.references.find(
      (r) => r.refType === 'FOLLOWS_FROM' && traceOf.get(r.spanID) === r.traceID,
    );
    if (!link) return s;
    const parent: JaegerReference = {
      refType: 'CHILD_OF',
      traceID: link.traceID,
      spanID: link.spanID,
    };
    return { ...s, references: [parent, ...s.references] };
  });
  return { ...merged, spans, chain: traces.map(chainMember) };
}

/** A trace of the chain in a line: its root (else its first span), when, how long. */
function chainMember(spans: readonly SpanRecord[]): ChainMember {
  let root = spans[0]!;
  let startUs = Infinity;
  let endUs = -Infinity;
  for (const s of spans) {
    if (s.parentSpanId === '' && (root.parentSpanId !== '' || s.startUs < root.startUs)) root = s;
    startUs = Math.min(startUs, s.startUs);
    endUs = Math.max(endUs, s.startUs + s.durationUs);
  }
  return {
    traceID: root.traceId,
    serviceName: root.resource.serviceName,
    operationName: root.name,
    startTime: startUs,
    duration: endUs - startUs,
    spans: spans.length,
  };
}
