import type { JaegerSpan, JaegerTag, JaegerTrace } from '../../src/model/jaeger-trace.js';

/** Where column 0 of a drawing is, in µs since the epoch. */
export const T0 = 1_700_000_000_000_000;
/** One column of a drawing: 1 ms. */
export const COLUMN_US = 1000;

/**
 * Jaeger traces from an ASCII drawing, the way jaeger-ui's fixtures draw a trace's shape:
 *
 *   trace t1
 *   POST /order        | api-service        | server   |[====]
 *     send orders      | api-service        | producer |   []
 *       process orders | processing-service | consumer |        [=====]  order.id=o1
 *
 * One span a line: name (indented two spaces per level under its parent), service, span kind
 * (blank for none; `processing-service#2` is its second replica: another process, with
 * service.instance.id `processing-service-2`), then a bar: `[` is the start and `]` the end, one column a millisecond
 * from the first `|` of the bar column. Tags follow as key=value (numbers and true/false are
 * typed); `id=`, `parent=` (a span that need not be drawn: an orphan) and `ref=follows`
 * (FOLLOWS_FROM instead of CHILD_OF) shape the trace. `trace <id>` starts a new trace.
 */
export function drawTraces(drawing: string): JaegerTrace[] {
  const traces: JaegerTrace[] = [];
  let current: { traceID: string; spans: JaegerSpan[]; services: string[] } | undefined;
  let stack: Array<{ depth: number; id: string }> = [];
  let n = 0;
  const finish = () => {
    if (!current) return;
    const processes = Object.fromEntries(
      current.services.map((cell, i) => {
        const [name, replica] = cell.split('#') as [string, string | undefined];
        const tags: JaegerTag[] = replica
          ? [{ key: 'service.instance.id', type: 'string', value: `${name}-${replica}` }]
          : [];
        return [`p${i + 1}`, { serviceName: name, tags }];
      }),
    );
    traces.push({ traceID: current.traceID, spans: current.spans, processes, warnings: null });
  };
  for (const raw of drawing.split('\n')) {
    if (raw.trim() === '') continue;
    const header = /^\s*trace (\S+)\s*$/.exec(raw);
    if (header) {
      finish();
      current = { traceID: header[1]!, spans: [], services: [] };
      stack = [];
      continue;
    }
    current ??= { traceID: 'trace1', spans: [], services: [] };
    const cells = raw.split('|');
    if (cells.length < 4) throw new Error(`drawing line needs name | service | kind | bar: ${raw}`);
    const [nameCell, serviceCell, kindCell] = cells as [string, string, string];
    const bar = cells.slice(3).join('|');
    const depth = Math.floor((nameCell.length - nameCell.trimStart().length) / 2);
    const start = bar.indexOf('[');
    const end = bar.indexOf(']');
    if (start < 0 || end < start) throw new Error(`no [bar] in: ${raw}`);
    const tags: JaegerTag[] = [];
    let id = `s${(++n).toString(16).padStart(4, '0')}`;
    let parent: string | undefined;
    let follows = false;
    for (const kv of bar
      .slice(end + 1)
      .trim()
      .split(/\s+/)
      .filter(Boolean)) {
      const eq = kv.indexOf('=');
      const key = kv.slice(0, eq);
      const value = kv.slice(eq + 1);
      if (key === 'id') id = value;
      else if (key === 'parent') parent = value;
      else if (key === 'ref') follows = value === 'follows';
      else tags.push(typedTag(key, value));
    }
    const kind = kindCell.trim();
    if (kind) tags.push({ key: 'span.kind', type: 'string', value: kind });
    while (stack.length && stack[stack.length - 1]!.depth >= depth) stack.pop();
    parent ??= stack[stack.length - 1]?.id;
    stack.push({ depth, id });
    const service = serviceCell.trim();
    if (!current.services.includes(service)) current.services.push(service);
    current.spans.push({
      traceID: current.traceID,
      spanID: id,
      flags: 1,
      operationName: nameCell.trim(),
      references: parent
        ? [
            {
              refType: follows ? 'FOLLOWS_FROM' : 'CHILD_OF',
              traceID: current.traceID,
              spanID: parent,
            },
          ]
        : [],
      startTime: T0 + start * COLUMN_US,
      duration: (end - start) * COLUMN_US,
      tags,
      logs: [],
      processID: `p${current.services.indexOf(service) + 1}`,
      warnings: null,
    });
  }
  finish();
  return traces;
}

/** The one trace of a drawing. */
export function drawTrace(drawing: string): JaegerTrace {
  const [trace, ...more] = drawTraces(drawing);
  if (!trace || more.length) throw new Error('drawTrace takes exactly one trace');
  return trace;
}

function typedTag(key: string, value: string): JaegerTag {
  if (value === 'true' || value === 'false') return { key, type: 'bool', value: value === 'true' };
  if (/^-?\d+$/.test(value)) return { key, type: 'int64', value: Number(value) };
  if (/^-?\d*\.\d+$/.test(value)) return { key, type: 'float64', value: Number(value) };
  return { key, type: 'string', value };
}

/** A deep copy, to check afterwards that a function left its input as it was. */
export function snapshot<T>(value: T): T {
  return structuredClone(value);
}

/** Column n of a drawing, in µs since the epoch. */
export const at = (column: number): number => T0 + column * COLUMN_US;
/** n columns, in µs. */
export const ms = (columns: number): number => columns * COLUMN_US;
