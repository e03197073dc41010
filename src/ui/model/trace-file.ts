import type { JaegerResponse, JaegerTrace } from '../../model/index.js';

/** The JSON a download writes: Jaeger's own envelope, so Jaeger's "Upload JSON" opens it too. */
export function traceFileText(trace: JaegerTrace): string {
  const body: JaegerResponse<JaegerTrace[]> = {
    data: [trace],
    total: 1,
    limit: 0,
    offset: 0,
    errors: null,
  };
  return JSON.stringify(body, null, 2);
}

/**
 * Reads the traces in a file: Jaeger's envelope `{"data": [...]}`, a list of traces, or one
 * trace. Throws with what is wrong, for the user to read.
 */
export function parseTraceFile(text: string): JaegerTrace[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new Error(`not JSON: ${(err as Error).message}`, { cause: err });
  }
  const list: unknown[] = Array.isArray(body)
    ? body
    : body !== null && typeof body === 'object' && Array.isArray((body as { data?: unknown }).data)
      ? (body as { data: unknown[] }).data
      : [body];
  if (list.length === 0) throw new Error('the file holds no trace');
  list.forEach((t, i) => {
    const where = list.length > 1 ? `trace ${i + 1}: ` : '';
    if (t === null || typeof t !== 'object') throw new Error(`${where}not an object`);
    const o = t as Record<string, unknown>;
    if (typeof o.traceID !== 'string') throw new Error(`${where}no traceID`);
    if (!Array.isArray(o.spans)) throw new Error(`${where}no spans list`);
    if (o.processes === null || typeof o.processes !== 'object')
      throw new Error(`${where}no processes`);
    for (const s of o.spans as unknown[]) {
      const span = s as Record<string, unknown> | null;
      if (
        !span ||
        typeof span.spanID !== 'string' ||
        typeof span.operationName !== 'string' ||
        typeof span.startTime !== 'number' ||
        typeof span.duration !== 'number'
      ) {
        throw new Error(`${where}a span lacks spanID, operationName, startTime or duration`);
      }
    }
  });
  return (list as JaegerTrace[]).map((t) => ({
    ...t,
    warnings: t.warnings ?? null,
    spans: t.spans.map((s) => ({
      ...s,
      references: s.references ?? [],
      tags: s.tags ?? [],
      logs: s.logs ?? [],
      warnings: s.warnings ?? null,
    })),
  }));
}
