/** The parts of Jaeger's JSON trace format the tests read. */
export interface JaegerTag {
  key: string;
  type: string;
  value: string | number | boolean;
}
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: Array<{ refType: string; traceID: string; spanID: string }>;
  startTime: number;
  duration: number;
  tags: JaegerTag[];
  processID: string;
}
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: JaegerTag[] }>;
}

export async function getTrace(
  queryUrl: string,
  traceId: string,
): Promise<JaegerTrace | undefined> {
  const res = await fetch(`${queryUrl}/api/traces/${traceId}`);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`GET trace ${traceId}: ${res.status}`);
  const body = (await res.json()) as { data: JaegerTrace[] };
  return body.data[0];
}

export function tag(span: { tags: JaegerTag[] }, key: string): JaegerTag['value'] | undefined {
  return span.tags.find((t) => t.key === key)?.value;
}

export function serviceOf(trace: JaegerTrace, span: JaegerSpan): string {
  return trace.processes[span.processID]?.serviceName ?? '';
}

export function parentOf(trace: JaegerTrace, span: JaegerSpan): JaegerSpan | undefined {
  const ref = span.references.find((r) => r.refType === 'CHILD_OF');
  return ref ? trace.spans.find((s) => s.spanID === ref.spanID) : undefined;
}

/**
 * True when no span's parent is still missing. A parent span ends after its children and each
 * process exports on its own clock, so a trace read early can hold children without parents.
 */
export function hasAllParents(trace: JaegerTrace): boolean {
  const ids = new Set(trace.spans.map((s) => s.spanID));
  return trace.spans.every((s) =>
    s.references.every((r) => r.refType !== 'CHILD_OF' || ids.has(r.spanID)),
  );
}
