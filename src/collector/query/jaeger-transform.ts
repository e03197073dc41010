import { markInt64 } from '../store/int64.js';
import type { Attribute, ProcessResource, SpanRecord } from '../store/span-record.js';
import type {
  JaegerLog,
  JaegerProcess,
  JaegerReference,
  JaegerSpan,
  JaegerTag,
  JaegerTrace,
} from '../../model/index.js';

/**
 * Spans of one trace → one Jaeger trace, mapped the way Jaeger's OTLP translator maps them:
 * span kind, status and instrumentation scope become tags, events become logs, the parent is a
 * CHILD_OF reference and links are FOLLOWS_FROM. Pure: the input is not touched. A partial
 * trace (a parent not received, a duplicate span id) gives warnings, never an exception.
 */
export function toJaegerTrace(spans: readonly SpanRecord[]): JaegerTrace | undefined {
  const first = spans[0];
  if (!first) return undefined;
  const ordered = byStart(spans);
  const processes: Record<string, JaegerProcess> = {};
  const processIdOf = processNumbering(processes);

  const spanIds = new Set<string>();
  const duplicates = new Set<string>();
  for (const s of ordered) {
    if (spanIds.has(s.spanId)) duplicates.add(s.spanId);
    spanIds.add(s.spanId);
  }

  const traceWarnings: string[] = [];
  let orphans = 0;
  const jaegerSpans = ordered.map((s): JaegerSpan => {
    const warnings: string[] = [];
    if (s.parentSpanId !== '' && !spanIds.has(s.parentSpanId)) {
      orphans++;
      warnings.push(
        `parent span ${s.parentSpanId} is not in this trace (not received, or evicted)`,
      );
    }
    if (duplicates.has(s.spanId)) warnings.push(`span id ${s.spanId} appears more than once`);
    return {
      traceID: s.traceId,
      spanID: s.spanId,
      flags: s.flags & 0xff,
      operationName: s.name,
      references: toReferences(s),
      startTime: s.startUs,
      duration: s.durationUs,
      tags: spanTags(s),
      logs: s.events.map((e): JaegerLog => ({
        timestamp: e.timeUs,
        fields:
          e.name === ''
            ? e.attributes.map(toTag)
            : [{ key: 'event', type: 'string', value: e.name }, ...e.attributes.map(toTag)],
      })),
      processID: processIdOf(s.resource),
      warnings: warnings.length > 0 ? warnings : null,
    };
  });
  if (orphans > 0) {
    traceWarnings.push(
      `${orphans} span(s) have a parent that is not in this trace (partial trace)`,
    );
  }
  if (duplicates.size > 0) {
    traceWarnings.push(`${duplicates.size} span id(s) appear more than once`);
  }
  return {
    traceID: first.traceId,
    spans: jaegerSpans,
    processes,
    warnings: traceWarnings.length > 0 ? traceWarnings : null,
  };
}

/** A trace's spans in the order of its Jaeger JSON: by start, those starting together as given. */
export function byStart(spans: readonly SpanRecord[]): readonly SpanRecord[] {
  for (let i = 1; i < spans.length; i++) {
    if (spans[i - 1]!.startUs > spans[i]!.startUs) {
      return [...spans].sort((a, b) => a.startUs - b.startUs);
    }
  }
  return spans;
}

/**
 * Jaeger's process ids for the resources of one trace, asked in span order: p1, p2, … one per
 * distinct service and attributes; each new one is added to `processes`.
 */
export function processNumbering(
  processes: Record<string, JaegerProcess>,
): (resource: ProcessResource) => string {
  const idByResource = new Map<ProcessResource, string>();
  const idByContent = new Map<string, string>();
  return (resource) => {
    let id = idByResource.get(resource);
    if (id) return id;
    const tags = resource.attributes.map(toTag);
    const content = `${resource.serviceName}\u0000${JSON.stringify(tags)}`;
    id = idByContent.get(content);
    if (!id) {
      id = `p${idByContent.size + 1}`;
      idByContent.set(content, id);
      processes[id] = { serviceName: resource.serviceName, tags };
    }
    idByResource.set(resource, id);
    return id;
  };
}

function toTag(a: Attribute): JaegerTag {
  if (a.type === 'int64' && a.exact !== undefined)
    return new ExactInt64Tag(a.key, a.value, a.exact);
  return { key: a.key, type: a.type, value: a.value };
}

/**
 * An int64 tag beyond 2^53: read in the process, its value is the nearest double; written
 * out (exactJson), the value is a number literal with every digit, as Jaeger writes it.
 */
class ExactInt64Tag implements JaegerTag {
  readonly type = 'int64';
  constructor(
    readonly key: string,
    readonly value: number,
    /** The decimal digits. */
    readonly exact: string,
  ) {}

  toJSON(): JaegerTag {
    return { key: this.key, type: this.type, value: markInt64(this.exact) };
  }
}

function toReferences(s: SpanRecord): JaegerReference[] {
  const refs: JaegerReference[] = [];
  if (s.parentSpanId !== '') {
    refs.push({ refType: 'CHILD_OF', traceID: s.traceId, spanID: s.parentSpanId });
  }
  for (const l of s.links)
    refs.push({ refType: 'FOLLOWS_FROM', traceID: l.traceId, spanID: l.spanId });
  return refs;
}

/** A span's Jaeger tags: its attributes, then scope, kind, status and trace state. */
export function spanTags(s: SpanRecord): JaegerTag[] {
  const tags = s.attributes.map(toTag);
  if (s.scope.name !== '')
    tags.push({ key: 'otel.scope.name', type: 'string', value: s.scope.name });
  if (s.scope.version !== '') {
    tags.push({ key: 'otel.scope.version', type: 'string', value: s.scope.version });
  }
  if (s.kind !== 'unspecified') tags.push({ key: 'span.kind', type: 'string', value: s.kind });
  if (s.statusCode === 'error') {
    tags.push({ key: 'otel.status_code', type: 'string', value: 'ERROR' });
    tags.push({ key: 'error', type: 'bool', value: true });
  } else if (s.statusCode === 'ok') {
    tags.push({ key: 'otel.status_code', type: 'string', value: 'OK' });
  }
  if (s.statusMessage !== '') {
    tags.push({ key: 'otel.status_description', type: 'string', value: s.statusMessage });
  }
  if (s.traceState !== '')
    tags.push({ key: 'w3c.tracestate', type: 'string', value: s.traceState });
  return tags;
}
