import type {
  JaegerReference,
  JaegerSpan,
  JaegerTrace,
  SpanSink,
  TraceReader,
} from '../model/index.js';

/** The span this one hangs under: its CHILD_OF reference, else a FOLLOWS_FROM in the trace. */
function parentRef(span: JaegerSpan): string | undefined {
  let followsFrom: string | undefined;
  for (const r of span.references) {
    if (r.refType === 'CHILD_OF') return r.spanID;
    if (followsFrom === undefined && r.traceID === span.traceID) followsFrom = r.spanID;
  }
  return followsFrom;
}

/** The first FOLLOWS_FROM reference to a span of another trace. */
function otherTraceLink(span: JaegerSpan): JaegerReference | undefined {
  for (const r of span.references) {
    if (r.refType === 'FOLLOWS_FROM' && r.traceID !== span.traceID) return r;
  }
  return undefined;
}

/** Reads traces in Jaeger's JSON (a query API's answer, a file, the web UI's). */
export const jaegerTraceReader: TraceReader<JaegerTrace> = {
  traceID: (trace) => trace.traceID,

  read(trace: JaegerTrace, sink: SpanSink): void {
    const f = sink.fields;
    const processes = trace.processes;
    for (const span of trace.spans) {
      f.ref = span;
      f.traceID = span.traceID;
      f.spanID = span.spanID;
      f.parentID = parentRef(span);
      f.operationName = span.operationName;
      f.serviceName = processes[span.processID]?.serviceName ?? 'unknown';
      f.startUs = span.startTime;
      f.durationUs = span.duration;
      f.tags = span.tags;
      f.kind = undefined;
      const link = otherTraceLink(span);
      f.linkTraceID = link?.traceID;
      f.linkSpanID = link?.spanID;
      sink.add();
    }
  },

  instance(trace: JaegerTrace, ref: unknown): string {
    const span = ref as JaegerSpan;
    const p = trace.processes[span.processID];
    if (!p) return span.processID;
    let host = '';
    let pid = '';
    for (const t of p.tags) {
      if (t.key === 'service.instance.id') return String(t.value);
      if (t.key === 'host.name' || t.key === 'hostname') host = String(t.value);
      if (t.key === 'process.pid') pid = String(t.value);
    }
    return host || pid ? `${host}/${pid}` : `${p.serviceName}/${span.processID}`;
  },
};
