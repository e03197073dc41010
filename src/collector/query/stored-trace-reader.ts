import type { JaegerProcess, SpanSink, TraceReader } from '../../model/index.js';
import { byStart, processNumbering } from './jaeger-transform.js';
import type { SpanRecord } from '../store/span-record.js';

/** The parent as Jaeger's JSON gives it: the parent span, else the first link in the trace. */
function parentOf(s: SpanRecord): string | undefined {
  if (s.parentSpanId !== '') return s.parentSpanId;
  for (const l of s.links) if (l.traceId === s.traceId) return l.spanId;
  return undefined;
}

/** The first link to a span of another trace. */
function otherTraceLink(s: SpanRecord): SpanRecord['links'][number] | undefined {
  for (const l of s.links) if (l.traceId !== s.traceId) return l;
  return undefined;
}

/**
 * Reads the store's spans of a trace the way the analysis would read them from the query API
 * (toJaegerTrace, then Jaeger's JSON), without building that JSON: the same spans in the same
 * order, the attributes as tags with the span kind after them, the same process ids.
 */
export const storedTraceReader: TraceReader<readonly SpanRecord[]> = {
  traceID: (spans) => spans[0]?.traceId ?? '',

  read(spans: readonly SpanRecord[], sink: SpanSink): void {
    const f = sink.fields;
    for (const s of byStart(spans)) {
      f.ref = s;
      f.traceID = s.traceId;
      f.spanID = s.spanId;
      f.parentID = parentOf(s);
      f.operationName = s.name;
      f.serviceName = s.resource.serviceName;
      f.startUs = s.startUs;
      f.durationUs = s.durationUs;
      f.tags = s.attributes;
      f.kind = s.kind === 'unspecified' ? undefined : s.kind;
      const link = s.links.length > 0 ? otherTraceLink(s) : undefined;
      f.linkTraceID = link?.traceId;
      f.linkSpanID = link?.spanId;
      sink.add();
    }
  },

  instance(spans: readonly SpanRecord[], ref: unknown): string {
    const resource = (ref as SpanRecord).resource;
    let host = '';
    let pid = '';
    for (const a of resource.attributes) {
      if (a.key === 'service.instance.id') return String(a.value);
      if (a.key === 'host.name' || a.key === 'hostname') host = String(a.value);
      if (a.key === 'process.pid') pid = String(a.value);
    }
    if (host || pid) return `${host}/${pid}`;
    // Neither: the process as the query API numbers it in this trace.
    const processes: Record<string, JaegerProcess> = {};
    const processIdOf = processNumbering(processes);
    for (const s of byStart(spans)) {
      const id = processIdOf(s.resource);
      if (s.resource === resource) return `${resource.serviceName}/${id}`;
    }
    return `${resource.serviceName}/${processIdOf(resource)}`;
  },
};
